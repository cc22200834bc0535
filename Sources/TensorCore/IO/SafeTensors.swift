import Foundation

/// A set of named tensors in the safetensors format (https://github.com/huggingface/safetensors), the format
/// PyTorch and diffusers save checkpoints in.
///
/// A file is: an 8-byte little-endian header length `N`; `N` bytes of JSON mapping each tensor name to
/// `{"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}` (plus an optional `"__metadata__"` object of
/// strings); then the raw little-endian tensor bytes, offsets counted from the end of the header.
///
/// This is a plain value: tensors are kept as bytes with their dtype and shape, and converted on request.
/// ```swift
/// var file = SafeTensors()
/// file.set("betas", shape: [1000], floats: betas)
/// try file.write(to: url)
/// let (shape, values) = try SafeTensors.read(contentsOf: url).floats("betas")
/// ```
public struct SafeTensors: Sendable, Equatable {
    /// One tensor: its element type, its shape and its raw little-endian bytes.
    public struct Entry: Sendable, Equatable {
        public let dtype: DType
        public let shape: [Int]
        public let bytes: [UInt8]

        /// Makes an entry, or `nil` when `bytes.count` is not `shape`'s element count times `dtype.size`
        /// (or a dimension is negative).
        public init?(dtype: DType, shape: [Int], bytes: [UInt8]) {
            guard let count = SafeTensors.elementCount(of: shape),
                  count.multipliedReportingOverflow(by: dtype.size) == (bytes.count, false)
            else { return nil }
            self.dtype = dtype
            self.shape = shape
            self.bytes = bytes
        }

        /// The number of elements (the product of the shape; 1 for a scalar).
        public var elementCount: Int { bytes.count / dtype.size }
    }

    /// Two sets are equal when their tensors and metadata are; where they came from does not matter.
    public static func == (lhs: SafeTensors, rhs: SafeTensors) -> Bool {
        lhs.entries == rhs.entries && lhs.metadata == rhs.metadata
    }

    /// The tensors, by name.
    public private(set) var entries: [String: Entry]
    /// Free-form string metadata, stored under `"__metadata__"` in the header.
    public var metadata: [String: String]
    /// Where the tensors were read from (a path as shown to the user), or `<memory>`. Used in error messages.
    public var source: String

    /// An empty set of tensors.
    public init() {
        entries = [:]
        metadata = [:]
        source = "<memory>"
    }

    init(entries: [String: Entry], metadata: [String: String], source: String) {
        self.entries = entries
        self.metadata = metadata
        self.source = source
    }

    /// The tensor names, sorted.
    public var names: [String] { entries.keys.sorted() }

    /// The entry for `name`, or `nil`.
    public subscript(name: String) -> Entry? { entries[name] }

    /// The shape and values of an `F32` tensor.
    /// - Throws: ``SafeTensorsError`` if there is no such tensor or its dtype is not `F32`.
    public func floats(_ name: String) throws(SafeTensorsError) -> (shape: [Int], values: [Float]) {
        let entry = try entry(name, expecting: [.f32])
        let values = [Float](unsafeUninitializedCapacity: entry.elementCount) { buffer, initialized in
            entry.bytes.withUnsafeBytes { raw in
                for i in 0..<entry.elementCount {
                    let bits = raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)
                    buffer[i] = Float(bitPattern: UInt32(littleEndian: bits))
                }
            }
            initialized = entry.elementCount
        }
        return (entry.shape, values)
    }

    /// The shape and values of an `I64` or `I32` tensor (timesteps, class labels, ...).
    /// - Throws: ``SafeTensorsError`` if there is no such tensor or its dtype is neither `I64` nor `I32`.
    public func ints(_ name: String) throws(SafeTensorsError) -> (shape: [Int], values: [Int]) {
        let entry = try entry(name, expecting: [.i64, .i32])
        var values = [Int](repeating: 0, count: entry.elementCount)
        entry.bytes.withUnsafeBytes { raw in
            for i in 0..<entry.elementCount {
                if entry.dtype == .i64 {
                    values[i] = Int(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: Int64.self)))
                } else {
                    values[i] = Int(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: Int32.self)))
                }
            }
        }
        return (entry.shape, values)
    }

    /// Stores `floats` as an `F32` tensor, replacing any tensor of that name.
    ///
    /// - Precondition: `floats.count` equals the product of `shape`, no dimension is negative, and `name` is
    ///   not the reserved `"__metadata__"`. These are programming errors, not data errors.
    public mutating func set(_ name: String, shape: [Int], floats: [Float]) {
        precondition(SafeTensors.elementCount(of: shape) == floats.count,
                     "SafeTensors.set(\"\(name)\"): shape \(shape) does not hold \(floats.count) values")
        var bytes = [UInt8](repeating: 0, count: floats.count * 4)
        bytes.withUnsafeMutableBytes { raw in
            for (i, value) in floats.enumerated() {
                raw.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: i * 4, as: UInt32.self)
            }
        }
        guard let entry = Entry(dtype: .f32, shape: shape, bytes: bytes) else { preconditionFailure("sizes checked above") }
        set(name, entry)
    }

    /// Stores `ints` as an `I64` tensor, replacing any tensor of that name.
    /// - Precondition: as for ``set(_:shape:floats:)``.
    public mutating func set(_ name: String, shape: [Int], ints: [Int]) {
        precondition(SafeTensors.elementCount(of: shape) == ints.count,
                     "SafeTensors.set(\"\(name)\"): shape \(shape) does not hold \(ints.count) values")
        var bytes = [UInt8](repeating: 0, count: ints.count * 8)
        bytes.withUnsafeMutableBytes { raw in
            for (i, value) in ints.enumerated() {
                raw.storeBytes(of: Int64(value).littleEndian, toByteOffset: i * 8, as: Int64.self)
            }
        }
        guard let entry = Entry(dtype: .i64, shape: shape, bytes: bytes) else { preconditionFailure("sizes checked above") }
        set(name, entry)
    }

    /// Stores an entry of any dtype, replacing any tensor of that name.
    /// - Precondition: `name` is not the reserved `"__metadata__"`.
    public mutating func set(_ name: String, _ entry: Entry) {
        precondition(name != SafeTensors.metadataKey, "\"__metadata__\" is reserved for metadata")
        entries[name] = entry
    }

    /// Removes the tensor called `name`, if any.
    public mutating func remove(_ name: String) {
        entries[name] = nil
    }

    /// The header key under which string metadata is stored.
    static let metadataKey = "__metadata__"

    /// The product of `shape` (1 for `[]`), or `nil` if a dimension is negative or the product overflows.
    static func elementCount(of shape: [Int]) -> Int? {
        var count = 1
        for dimension in shape {
            guard dimension >= 0 else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow else { return nil }
            count = product
        }
        return count
    }

    private func entry(_ name: String, expecting dtypes: [DType]) throws(SafeTensorsError) -> Entry {
        guard let entry = entries[name] else {
            throw SafeTensorsError(source: source, reason: .missingTensor(name))
        }
        guard dtypes.contains(entry.dtype) else {
            let expected = dtypes.map(\.rawValue).joined(separator: " or ")
            throw SafeTensorsError(source: source, reason: .wrongDType(tensor: name, dtype: entry.dtype.rawValue, expected: expected))
        }
        return entry
    }
}
