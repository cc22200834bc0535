import TensorCore

/// Why a (possibly gzip-compressed) file could not be decompressed. The description names the file.
public struct GzipError: FileError, Equatable, Sendable {
    public enum Reason: Equatable, Sendable {
        /// The file could not be read at all.
        case unreadable(String)
        /// The bytes do not start with the gzip magic number `1f 8b`.
        case notGzip
        /// The compressed stream ends before its end marker and checksum.
        case truncated
        /// zlib rejected the stream (bad header, bad block, CRC mismatch, ...); zlib's message is kept.
        case corrupt(String)
        /// The decompressed size would exceed the limit passed to the decompressor.
        case tooLarge(limit: Int)
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
        case .notGzip: return "not gzip data (missing the 1f 8b magic number)"
        case .truncated: return "gzip data is truncated (the stream ends early)"
        case .corrupt(let message): return "gzip data is corrupt (\(message))"
        case .tooLarge(let limit): return "decompressed data would exceed \(limit) bytes"
        }
    }
}
