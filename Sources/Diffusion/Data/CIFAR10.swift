import Foundation
import TensorCore

/// CIFAR-10 in its binary version (Krizhevsky 2009, https://www.cs.toronto.edu/~kriz/cifar.html): 32 x 32 color
/// images of 10 classes. The archive `cifar-10-binary.tar.gz` unpacks to `cifar-10-batches-bin/` with
/// `data_batch_1.bin` ... `data_batch_5.bin` (50,000 training images) and `test_batch.bin` (10,000). Each file is
/// records of 1 label byte and 3,072 pixel bytes: the 1,024 red values of the 32 x 32 image row by row, then
/// green, then blue. That is already the `[C, H, W]` layout the models take, so images load as an `MNIST` value
/// with 3 channels: batches are `[N, 3, 32, 32]`.
///
/// Not shipped (not obtainable offline here). To train on it: download and unpack the binary version, then pass
/// the directory as `--data cifar-10-batches-bin` (Chapters/04-Conditional.md, the `train` flags).
public enum CIFAR10 {
    public static let side = 32
    public static let channels = 3
    /// Bytes per record: 1 label + 3 x 32 x 32 pixels.
    public static let recordSize = 1 + channels * side * side
    public static let classNames = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]

    /// The files of a split, in order.
    public static func fileNames(_ split: MNIST.Split) -> [String] {
        split == .train ? (1...5).map { "data_batch_\($0).bin" } : ["test_batch.bin"]
    }

    /// Whether `directory` looks like CIFAR-10's binary version (holds `data_batch_1.bin` or `test_batch.bin`).
    public static func isCIFAR(_ directory: URL) -> Bool {
        ["data_batch_1.bin", "test_batch.bin"].contains { FileManager.default.fileExists(atPath: directory.appendingPathComponent($0).path) }
    }

    /// Loads one split from `directory`. A training split may be any prefix of the five batches that exist
    /// (data_batch_1.bin at least), so a partial download still trains.
    /// - Throws: ``CIFARError`` naming the file: missing, unreadable, a size that is not whole records, or a label
    ///   outside 0...9.
    public static func load(split: MNIST.Split, directory: URL) throws(CIFARError) -> MNIST {
        var images: [UInt8] = [], labels: [UInt8] = []
        let names = fileNames(split)
        for (i, name) in names.enumerated() {
            let url = directory.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: url.path) else {
                if i > 0 { break }   // data_batch_2...5 may be absent
                throw CIFARError(source: url.displayPath, reason: .missing)
            }
            let bytes: [UInt8]
            do { bytes = [UInt8](try Data(contentsOf: url)) } catch {
                throw CIFARError(source: url.displayPath, reason: .unreadable(error.localizedDescription))
            }
            let (fileImages, fileLabels) = try parse(bytes, source: url.displayPath)
            images += fileImages
            labels += fileLabels
        }
        return MNIST(split: split, images: images, labels: labels, rows: side, cols: side, channels: channels)
    }

    /// Splits the records of one file into pixel bytes (`[count, 3, 32, 32]`, planes as stored) and labels.
    public static func parse(_ bytes: [UInt8], source: String) throws(CIFARError) -> (images: [UInt8], labels: [UInt8]) {
        guard !bytes.isEmpty, bytes.count % recordSize == 0 else {
            throw CIFARError(source: source, reason: .partialRecord(bytes: bytes.count, recordSize: recordSize))
        }
        let count = bytes.count / recordSize
        var images = [UInt8](), labels = [UInt8]()
        images.reserveCapacity(count * (recordSize - 1))
        labels.reserveCapacity(count)
        for r in 0..<count {
            let start = r * recordSize
            guard bytes[start] < classNames.count else { throw CIFARError(source: source, reason: .badLabel(record: r, value: bytes[start])) }
            labels.append(bytes[start])
            images += bytes[(start + 1)..<(start + recordSize)]
        }
        return (images, labels)
    }

    /// Writes records in the binary format (the tests make small files with it).
    public static func encode(images: [UInt8], labels: [UInt8]) -> [UInt8] {
        precondition(images.count == labels.count * (recordSize - 1), "CIFAR10.encode: \(images.count) bytes for \(labels.count) labels")
        var out = [UInt8]()
        for (i, label) in labels.enumerated() { out.append(label); out += images[(i * (recordSize - 1))..<((i + 1) * (recordSize - 1))] }
        return out
    }
}

/// Why a CIFAR-10 batch file could not be read. The description names the file.
public struct CIFARError: FileError, Equatable, Sendable {
    public enum Reason: Equatable, Sendable {
        case missing
        case unreadable(String)
        /// The size is not a whole number of 3,073-byte records.
        case partialRecord(bytes: Int, recordSize: Int)
        /// A label byte outside 0...9.
        case badLabel(record: Int, value: UInt8)
    }

    public var source: String
    public var reason: Reason

    public init(source: String, reason: Reason) {
        self.source = source
        self.reason = reason
    }

    public var explanation: String {
        switch reason {
        case .missing: "no such file (CIFAR-10's binary version has data_batch_1.bin ... data_batch_5.bin and test_batch.bin)"
        case let .unreadable(message): "cannot read file (\(message))"
        case let .partialRecord(bytes, size): "\(bytes) bytes is not a whole number of \(size)-byte records (1 label + 3,072 pixels)"
        case let .badLabel(record, value): "record \(record) has label \(value); CIFAR-10 labels are 0...9"
        }
    }
}
