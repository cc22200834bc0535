import TensorCore

/// Why an MNIST-format dataset could not be loaded. The description names the file (or directory) at fault.
///
/// Errors about the bytes of one file come as ``GzipError`` or ``IDXError`` instead.
public struct MNISTError: FileError, Equatable, Sendable {
    public enum Reason: Equatable, Sendable {
        /// The file exists but cannot be read.
        case unreadable(String)
        /// None of the accepted file names exists in the directory.
        case missingFile(triedNames: [String])
        /// The SHA-256 of the (decompressed) file differs from the expected one.
        case checksumMismatch(expected: String, actual: String, origin: String)
        /// A `SHA256SUMS` file exists in the directory but does not list this file.
        case notInChecksumFile(checksumFile: String)
        /// The `SHA256SUMS` file cannot be read.
        case unreadableChecksumFile(String)
        /// An image file is not `[count, rows, cols]` or a label file is not `[count]`.
        case wrongShape(dimensions: [Int], expected: String)
        /// The label file has a different number of entries than the image file.
        case countMismatch(images: Int, labels: Int, imagesFile: String)
    }

    /// The file (or directory) path as shown to the user.
    public var source: String
    public var reason: Reason

    public init(source: String, reason: Reason) {
        self.source = source
        self.reason = reason
    }

    public var explanation: String {
        switch reason {
        case .unreadable(let message):
            return "cannot read file (\(message))"
        case .missingFile(let names):
            return "no dataset file found (looked for \(names.joined(separator: ", ")))"
        case .checksumMismatch(let expected, let actual, let origin):
            return "SHA-256 mismatch (expected \(expected), got \(actual); expected value from \(origin))"
        case .notInChecksumFile(let file):
            return "not listed in \(file)"
        case .unreadableChecksumFile(let message):
            return "cannot read checksum file (\(message))"
        case .wrongShape(let dimensions, let expected):
            return "dimensions \(dimensions), expected \(expected)"
        case .countMismatch(let images, let labels, let imagesFile):
            return "\(labels) labels but \(imagesFile) has \(images) images"
        }
    }
}
