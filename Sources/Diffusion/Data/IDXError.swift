import TensorCore

/// Why bytes are not a valid IDX file (the MNIST format). The description names the file.
public struct IDXError: FileError, Equatable, Sendable {
    public enum Reason: Equatable, Sendable {
        /// Too few bytes for the 4-byte magic number and the dimensions it announces.
        case tooShort(byteCount: Int, needed: Int)
        /// The first two bytes are not zero: not an IDX file.
        case badMagic(UInt8, UInt8)
        /// The element type code is not 0x08 (unsigned byte), the only one MNIST-style datasets use.
        case unsupportedType(UInt8)
        /// Zero dimensions, or more than ``IDXArray/maxDimensions``.
        case badDimensionCount(Int)
        /// The product of the dimensions overflows, or exceeds ``IDXArray/maxElements``.
        case absurdDimensions([Int])
        /// The dimensions announce a different number of bytes than the file holds.
        case sizeMismatch(dimensions: [Int], expected: Int, actual: Int)
    }

    /// The file path as shown to the user, or `<memory>`.
    public var source: String
    public var reason: Reason

    public init(source: String, reason: Reason) {
        self.source = source
        self.reason = reason
    }

    public var explanation: String {
        switch reason {
        case .tooShort(let count, let needed):
            return "too short for an IDX file (\(count) bytes, the header needs \(needed))"
        case .badMagic(let a, let b):
            return "not an IDX file (magic number starts \(hex(a)) \(hex(b)), expected 00 00)"
        case .unsupportedType(let code):
            return "IDX element type \(hex(code)) is not supported (only 08, unsigned byte)"
        case .badDimensionCount(let count):
            return "IDX header announces \(count) dimensions (expected 1 to \(IDXArray.maxDimensions))"
        case .absurdDimensions(let dimensions):
            return "IDX dimensions \(dimensions) are absurd (more than \(IDXArray.maxElements) elements)"
        case .sizeMismatch(let dimensions, let expected, let actual):
            return "IDX dimensions \(dimensions) need \(expected) data bytes but the file has \(actual)"
        }
    }

    private func hex(_ byte: UInt8) -> String {
        let digits = String(byte, radix: 16)
        return digits.count == 1 ? "0" + digits : digits
    }
}
