import TensorCore

/// Why a PNG could not be read or written. The description names the file.
public struct PNGError: FileError, Equatable, Sendable {
    public enum Reason: Equatable, Sendable {
        /// The file could not be read.
        case unreadable(String)
        /// The bytes do not start with the 8-byte PNG signature.
        case notPNG
        /// The chunk structure ends before the closing IEND chunk.
        case truncated
        /// Width or height is zero, or the image is larger than ``PNGCodec/maxPixels``.
        case absurdDimensions(width: Int, height: Int)
        /// The IDAT chunks hold too few bytes for the image IHDR announces, even at deflate's best ratio.
        case tooLittleImageData(width: Int, height: Int, compressedBytes: Int)
        /// libpng reported an error; its message is kept.
        case libpng(String)
        /// Writing the file failed.
        case writeFailed(String)
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
        case .unreadable(let message): return "cannot read file (\(message))"
        case .notPNG: return "not a PNG file (missing the PNG signature)"
        case .truncated: return "PNG file is truncated (no IEND chunk before the end of the data)"
        case .absurdDimensions(let width, let height):
            return "PNG dimensions \(width)x\(height) are absurd (limit \(PNGCodec.maxSide) per side, \(PNGCodec.maxPixels) pixels)"
        case .tooLittleImageData(let width, let height, let compressed):
            return "PNG header announces \(width)x\(height) pixels but its image data is only \(compressed) bytes, too little for that"
        case .libpng(let message): return "libpng: \(message)"
        case .writeFailed(let message): return "cannot write PNG (\(message))"
        }
    }
}
