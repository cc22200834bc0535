/// Why a safetensors file could not be read, or a tensor could not be taken out of it.
///
/// The description always starts with the file (or `<memory>`) and, when it concerns one tensor, its name:
/// `Checkpoints/unet.safetensors: tensor "conv.weight": data_offsets [0, 96] hold 96 bytes but shape [4, 8] of F32 needs 128`.
public struct SafeTensorsError: FileError, Equatable, Sendable {
    /// What is wrong, with the values needed to explain it.
    public enum Reason: Equatable, Sendable {
        /// The file could not be read at all (missing, permissions, ...).
        case unreadable(String)
        /// Fewer than the 8 bytes of the header-length prefix.
        case tooShort(byteCount: Int)
        /// The header length prefix is larger than the file or than the 100 MB sanity limit.
        case headerLengthOutOfRange(claimed: UInt64, available: Int)
        /// The header is not valid UTF-8 JSON, or not a JSON object.
        case invalidJSON(String)
        /// A tensor entry lacks a field or has one of the wrong type.
        case invalidEntry(tensor: String, String)
        /// The `__metadata__` entry is not an object of strings.
        case invalidMetadata(String)
        /// The dtype string is not one this reader knows.
        case unknownDType(tensor: String, dtype: String)
        /// A dimension is negative, or the element count overflows.
        case invalidShape(tensor: String, shape: [Int])
        /// `data_offsets` are reversed or point past the end of the data section.
        case offsetsOutOfRange(tensor: String, begin: Int, end: Int, dataLength: Int)
        /// `data_offsets` span a different number of bytes than shape x dtype size.
        case sizeMismatch(tensor: String, shape: [Int], dtype: String, expectedBytes: Int, actualBytes: Int)
        /// Two tensors share bytes of the data section.
        case overlapping(tensor: String, other: String)
        /// No tensor has this name.
        case missingTensor(String)
        /// The tensor exists but has a dtype the accessor cannot convert.
        case wrongDType(tensor: String, dtype: String, expected: String)
        /// Writing the file failed.
        case writeFailed(String)
    }

    /// The file path as shown to the user, or `<memory>`.
    public var source: String
    /// What is wrong.
    public var reason: Reason

    public init(source: String, reason: Reason) {
        self.source = source
        self.reason = reason
    }

    public var explanation: String {
        switch reason {
        case .unreadable(let message):
            return "cannot read file (\(message))"
        case .tooShort(let count):
            return "too short for a safetensors file (\(count) bytes, need at least 8)"
        case .headerLengthOutOfRange(let claimed, let available):
            return "header length \(claimed) is impossible (only \(available) bytes follow it; the limit is 100 MB)"
        case .invalidJSON(let message):
            return "header is not valid JSON (\(message))"
        case .invalidEntry(let tensor, let message):
            return "tensor \"\(tensor)\": \(message)"
        case .invalidMetadata(let message):
            return "__metadata__: \(message)"
        case .unknownDType(let tensor, let dtype):
            return "tensor \"\(tensor)\": unknown dtype \"\(dtype)\""
        case .invalidShape(let tensor, let shape):
            return "tensor \"\(tensor)\": invalid shape \(shape) (negative dimension or too many elements)"
        case .offsetsOutOfRange(let tensor, let begin, let end, let length):
            return "tensor \"\(tensor)\": data_offsets [\(begin), \(end)] lie outside the \(length)-byte data section"
        case .sizeMismatch(let tensor, let shape, let dtype, let expected, let actual):
            return "tensor \"\(tensor)\": data_offsets hold \(actual) bytes but shape \(shape) of \(dtype) needs \(expected)"
        case .overlapping(let tensor, let other):
            return "tensor \"\(tensor)\": its bytes overlap those of tensor \"\(other)\""
        case .missingTensor(let name):
            return "no tensor named \"\(name)\""
        case .wrongDType(let tensor, let dtype, let expected):
            return "tensor \"\(tensor)\" has dtype \(dtype), expected \(expected)"
        case .writeFailed(let message):
            return "cannot write file: \(message)"
        }
    }
}
