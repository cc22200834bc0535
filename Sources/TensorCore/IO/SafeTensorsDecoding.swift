import Foundation

extension SafeTensors {
    /// Largest header accepted, as in the reference implementation: a bigger length prefix means a corrupt file.
    public static let maxHeaderLength = 100_000_000

    /// Reads and validates a safetensors file.
    /// - Throws: ``SafeTensorsError`` naming the file (and the tensor) when the file is unreadable or malformed.
    public static func read(contentsOf url: URL) throws(SafeTensorsError) -> SafeTensors {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw SafeTensorsError(source: url.displayPath, reason: .unreadable(error.localizedDescription))
        }
        return try decode(data, source: url.displayPath)
    }

    /// Parses and validates the bytes of a safetensors file. `source` names them in errors (a path, or `<memory>`).
    ///
    /// Checks, before anything is allocated from what the header claims: the header length fits in the data;
    /// the header is a JSON object; every dtype is known; no dimension is negative; every tensor's
    /// `data_offsets` lie inside the data section, span exactly shape x dtype-size bytes and overlap no other.
    /// Only then are the tensors' bytes copied out, so together they never take more than the data section.
    public static func decode(_ data: Data, source: String = "<memory>") throws(SafeTensorsError) -> SafeTensors {
        func fail(_ reason: SafeTensorsError.Reason) -> SafeTensorsError {
            SafeTensorsError(source: source, reason: reason)
        }
        let bytes = [UInt8](data)
        guard bytes.count >= 8 else { throw fail(.tooShort(byteCount: bytes.count)) }

        var claimed: UInt64 = 0
        for i in (0..<8).reversed() { claimed = claimed << 8 | UInt64(bytes[i]) }
        let available = bytes.count - 8
        guard claimed <= UInt64(available), claimed <= UInt64(maxHeaderLength) else {
            throw fail(.headerLengthOutOfRange(claimed: claimed, available: available))
        }
        let headerLength = Int(claimed)
        let dataStart = 8 + headerLength
        let dataLength = bytes.count - dataStart

        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: Data(bytes[8..<dataStart]), options: [])
        } catch {
            throw fail(.invalidJSON(String(describing: error)))
        }
        guard let header = json as? [String: Any] else { throw fail(.invalidJSON("the header is not a JSON object")) }

        var metadata: [String: String] = [:]
        // Validated entries, not yet copied: a header may list many tensors over the same bytes, and copying
        // each before the overlap check would allocate (tensor count) x (data size).
        var spans: [(name: String, dtype: DType, shape: [Int], range: Range<Int>)] = []

        for (name, value) in header {
            if name == metadataKey {
                guard let object = value as? [String: Any] else { throw fail(.invalidMetadata("not a JSON object")) }
                for (key, item) in object {
                    guard let text = item as? String else {
                        throw fail(.invalidMetadata("value of \"\(key)\" is not a string"))
                    }
                    metadata[key] = text
                }
                continue
            }
            guard let fields = value as? [String: Any] else {
                throw fail(.invalidEntry(tensor: name, "not a JSON object"))
            }
            guard let dtypeName = fields["dtype"] as? String else {
                throw fail(.invalidEntry(tensor: name, "missing or non-string \"dtype\""))
            }
            guard let dtype = DType(rawValue: dtypeName) else {
                throw fail(.unknownDType(tensor: name, dtype: dtypeName))
            }
            guard let shapeValues = fields["shape"] as? [Any], let shape = integers(shapeValues) else {
                throw fail(.invalidEntry(tensor: name, "missing or non-integer \"shape\""))
            }
            guard let offsetValues = fields["data_offsets"] as? [Any], let offsets = integers(offsetValues),
                  offsets.count == 2
            else {
                throw fail(.invalidEntry(tensor: name, "\"data_offsets\" must be two integers"))
            }
            guard let count = elementCount(of: shape) else { throw fail(.invalidShape(tensor: name, shape: shape)) }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin >= 0, begin <= end, end <= dataLength else {
                throw fail(.offsetsOutOfRange(tensor: name, begin: begin, end: end, dataLength: dataLength))
            }
            let (expected, overflow) = count.multipliedReportingOverflow(by: dtype.size)
            guard !overflow, expected == end - begin else {
                throw fail(.sizeMismatch(tensor: name, shape: shape, dtype: dtypeName,
                                         expectedBytes: overflow ? Int.max : expected, actualBytes: end - begin))
            }
            spans.append((name, dtype, shape, begin..<end))
        }

        spans.sort { ($0.range.lowerBound, $0.name) < ($1.range.lowerBound, $1.name) }
        for (previous, next) in zip(spans, spans.dropFirst()) where next.range.lowerBound < previous.range.upperBound {
            throw fail(.overlapping(tensor: next.name, other: previous.name))
        }

        var entries: [String: Entry] = [:]
        entries.reserveCapacity(spans.count)
        for span in spans {
            let slice = Array(bytes[(dataStart + span.range.lowerBound)..<(dataStart + span.range.upperBound)])
            // Sizes were checked above, so the entry always exists.
            guard let entry = Entry(dtype: span.dtype, shape: span.shape, bytes: slice) else {
                throw fail(.invalidShape(tensor: span.name, shape: span.shape))
            }
            entries[span.name] = entry
        }
        return SafeTensors(entries: entries, metadata: metadata, source: source)
    }

    /// JSON numbers as `Int`s, or `nil` if any is not an integer (booleans and fractions are rejected).
    private static func integers(_ values: [Any]) -> [Int]? {
        var result: [Int] = []
        result.reserveCapacity(values.count)
        for value in values {
            guard let number = value as? NSNumber, !isBoolean(number) else { return nil }
            let double = number.doubleValue
            // Exact integers up to 2^53 come through Double losslessly; larger ones are absurd here anyway.
            guard double.rounded() == double, abs(double) <= 9.0e15 else { return nil }
            result.append(Int(double))
        }
        return result
    }

    private static func isBoolean(_ number: NSNumber) -> Bool {
        #if canImport(Darwin)
        return CFGetTypeID(number) == CFBooleanGetTypeID()
        #else
        return String(cString: number.objCType) == "c"
        #endif
    }
}
