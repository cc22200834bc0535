import Crypto
import Foundation
import TensorCore

/// Where the expected SHA-256 sums of a dataset directory come from, and how a file is checked against them.
///
/// - A `SHA256SUMS` file in the directory (lines `<hex>  <name>`, as `sha256sum` prints) wins. A name with `.gz`
///   is checked against the compressed file's bytes, a name without against the decompressed bytes.
/// - Otherwise a directory named `MNIST` is checked against the published sums of the original MNIST files
///   (``DatasetChecksums/mnist``), which are sums of the decompressed files.
/// - Otherwise (Fashion-MNIST or another dataset in the same format) there is nothing to check against.
public struct DatasetChecksums: Sendable, Equatable {
    /// The published SHA-256 sums of the four decompressed MNIST files.
    public static let mnist: [String: String] = [
        "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    ]

    /// Expected sums by file name (lowercase hex).
    public var sums: [String: String]
    /// Where the sums come from, for messages: `SHA256SUMS` path or "the published MNIST checksums".
    public var origin: String

    public init(sums: [String: String], origin: String) {
        self.sums = sums
        self.origin = origin
    }

    /// The sums that apply to `directory` (see the type's documentation), or `nil` if none do.
    /// - Throws: ``MNISTError`` if a `SHA256SUMS` file exists but cannot be read.
    public static func forDirectory(_ directory: URL) throws(MNISTError) -> DatasetChecksums? {
        let file = directory.appendingPathComponent("SHA256SUMS")
        if FileManager.default.fileExists(atPath: file.path) {
            let text: String
            do {
                text = try String(contentsOf: file, encoding: .utf8)
            } catch {
                throw MNISTError(source: file.displayPath, reason: .unreadableChecksumFile(error.localizedDescription))
            }
            return DatasetChecksums(sums: parse(text), origin: file.displayPath)
        }
        if directory.standardizedFileURL.lastPathComponent == "MNIST" {
            return DatasetChecksums(sums: mnist, origin: "the published MNIST checksums")
        }
        return nil
    }

    /// Parses `sha256sum` output: `<64 hex digits> <space> <space or *> <name>` per line. Other lines are ignored.
    public static func parse(_ text: String) -> [String: String] {
        var sums: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            let parts = line.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
            guard parts.count == 2 else { continue }
            let hash = parts[0].lowercased()
            guard hash.count == 64, hash.allSatisfy(\.isHexDigit) else { continue }
            var name = parts[1].trimmingCharacters(in: .whitespaces)
            if name.hasPrefix("*") { name.removeFirst() }
            sums[name] = hash
        }
        return sums
    }

    /// Checks one file. `fileName` is its name on disk, `baseName` the name without `.gz`.
    /// - Throws: ``MNISTError`` `.checksumMismatch` or `.notInChecksumFile`, naming `path`.
    func verify(path: String, fileName: String, baseName: String,
                raw: [UInt8], decompressed: [UInt8]) throws(MNISTError) {
        let (expected, actual): (String, String)
        if fileName != baseName, let sum = sums[fileName] {
            (expected, actual) = (sum, DatasetChecksums.sha256(raw))
        } else if let sum = sums[baseName] {
            (expected, actual) = (sum, DatasetChecksums.sha256(decompressed))
        } else {
            throw MNISTError(source: path, reason: .notInChecksumFile(checksumFile: origin))
        }
        guard expected == actual else {
            throw MNISTError(source: path, reason: .checksumMismatch(expected: expected, actual: actual, origin: origin))
        }
    }

    /// The SHA-256 of `bytes` as lowercase hex.
    public static func sha256(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }.joined()
    }
}
