import Foundation

extension SafeTensors {
    /// The file bytes: header with keys sorted (`__metadata__` first when present, as PyTorch writes it),
    /// padded with spaces so the data section starts at a multiple of 8, then each tensor's bytes in name order.
    public func encoded() -> Data {
        var header = "{"
        var fields: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { key in "\(jsonString(key)):\(jsonString(metadata[key] ?? ""))" }
            fields.append("\(jsonString(SafeTensors.metadataKey)):{\(pairs.joined(separator: ","))}")
        }
        var offset = 0
        for name in names {
            guard let entry = entries[name] else { continue }
            let end = offset + entry.bytes.count
            let shape = entry.shape.map(String.init).joined(separator: ",")
            fields.append("\(jsonString(name)):{\"dtype\":\"\(entry.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        header += fields.joined(separator: ",") + "}"

        var headerBytes = Array(header.utf8)
        while (8 + headerBytes.count) % 8 != 0 { headerBytes.append(0x20) }

        var data = Data(capacity: 8 + headerBytes.count + offset)
        var length = UInt64(headerBytes.count).littleEndian
        withUnsafeBytes(of: &length) { data.append(contentsOf: $0) }
        data.append(contentsOf: headerBytes)
        for name in names {
            if let entry = entries[name] { data.append(contentsOf: entry.bytes) }
        }
        return data
    }

    /// Writes ``encoded()`` to `url` atomically (temporary file in the same directory, then rename), so an
    /// interrupted save never leaves a truncated checkpoint behind.
    public func write(to url: URL) throws(SafeTensorsError) {
        do {
            try AtomicFile.write(encoded(), to: url)
        } catch {
            throw SafeTensorsError(source: url.displayPath, reason: .writeFailed(error.reason))
        }
    }

    /// `text` as a JSON string literal.
    private func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
