import Foundation
import TensorCore

/// The MNIST handwritten digits (or any dataset in the same IDX format, such as Fashion-MNIST), in memory.
///
/// ```swift
/// let train = try MNIST.load(split: .train)                 // Data/MNIST, checksums verified
/// let batch = train.pixels(indices: [0, 1, 2], range: .minusOneToOne)   // 3 * 784 floats
/// ```
/// Images are kept as bytes (47 MB for the training set) and converted to floats one batch at a time.
public struct MNIST: Sendable {
    /// Which half of the dataset.
    public enum Split: String, Sendable, CaseIterable {
        case train, test

        /// The file name prefix: `train` or `t10k`.
        public var filePrefix: String { self == .train ? "train" : "t10k" }
        /// The image file name without `.gz`, e.g. `train-images-idx3-ubyte`.
        public var imagesFileName: String { "\(filePrefix)-images-idx3-ubyte" }
        /// The label file name without `.gz`, e.g. `train-labels-idx1-ubyte`.
        public var labelsFileName: String { "\(filePrefix)-labels-idx1-ubyte" }
    }

    /// The split these images come from.
    public let split: Split
    /// All images, one after another, row-major: `count * rows * cols` bytes, 0 = background.
    public let images: [UInt8]
    /// One label per image (0...9 for MNIST and Fashion-MNIST).
    public let labels: [UInt8]
    /// The number of images.
    public let count: Int
    /// Image height (28).
    public let rows: Int
    /// Image width (28).
    public let cols: Int
    /// Color planes per image: 1 for MNIST and Fashion-MNIST, 3 (R, G, B planes, as CIFAR-10 stores them).
    public let channels: Int

    /// Bytes per image (`channels * rows * cols`).
    public var imageSize: Int { channels * rows * cols }

    /// Makes a dataset from arrays already in memory: image after image, each `[channels, rows, cols]`.
    /// - Precondition: `images.count == labels.count * channels * rows * cols`.
    public init(split: Split, images: [UInt8], labels: [UInt8], rows: Int, cols: Int, channels: Int = 1) {
        precondition(rows > 0 && cols > 0 && channels > 0 && images.count == labels.count * channels * rows * cols,
                     "MNIST: \(images.count) image bytes do not match \(labels.count) labels of \(channels)x\(rows)x\(cols)")
        self.split = split
        self.channels = channels
        self.images = images
        self.labels = labels
        self.count = labels.count
        self.rows = rows
        self.cols = cols
    }

    /// Loads one split from `directory`, which holds `train-images-idx3-ubyte.gz` and the three others
    /// (gzip-compressed or not).
    ///
    /// With `verifyChecksums`, each file is checked against the `SHA256SUMS` file in the directory if there is
    /// one, else against the published MNIST sums if the directory is named `MNIST`; other directories (e.g.
    /// Fashion-MNIST) are not checked. See ``DatasetChecksums``.
    ///
    /// - Throws: ``MNISTError`` (missing file, checksum mismatch, wrong shape, label count differs),
    ///   ``GzipError`` or ``IDXError``; each names the file at fault.
    public static func load(split: Split, directory: URL = MNIST.defaultDirectory,
                            verifyChecksums: Bool = true) throws -> MNIST {
        let checksums = verifyChecksums ? try DatasetChecksums.forDirectory(directory) : nil
        let (imageFile, imageArray) = try readIDX(split.imagesFileName, in: directory, checksums: checksums)
        let (labelFile, labelArray) = try readIDX(split.labelsFileName, in: directory, checksums: checksums)

        let dims = imageArray.dimensions
        guard dims.count == 3, dims[1] > 0, dims[2] > 0 else {
            throw MNISTError(source: imageFile, reason: .wrongShape(dimensions: dims, expected: "[count, rows, cols]"))
        }
        guard labelArray.dimensions.count == 1 else {
            throw MNISTError(source: labelFile, reason: .wrongShape(dimensions: labelArray.dimensions, expected: "[count]"))
        }
        guard labelArray.dimensions[0] == dims[0] else {
            throw MNISTError(source: labelFile, reason: .countMismatch(images: dims[0], labels: labelArray.dimensions[0],
                                                                       imagesFile: imageFile))
        }
        return MNIST(split: split, images: imageArray.bytes, labels: labelArray.bytes, rows: dims[1], cols: dims[2])
    }

    /// The bytes of image `index`.
    public func image(_ index: Int) -> ArraySlice<UInt8> {
        images[(index * imageSize)..<((index + 1) * imageSize)]
    }

    /// The images at `indices` as floats in `range`, `indices.count * imageSize` values, ready for a
    /// `[batch, channels, rows, cols]` tensor.
    /// - Precondition: every index is in `0..<count`.
    public func pixels(indices: [Int], range: PixelRange) -> [Float] {
        range.floats(from: images, imageSize: imageSize, indices: indices)
    }

    /// The labels at `indices`, as `Int`s (class ids for conditioning).
    /// - Precondition: every index is in `0..<count`.
    public func labels(indices: [Int]) -> [Int] {
        indices.map { Int(labels[$0]) }
    }

    /// How many images carry each label value: `histogram[k]` counts label `k`.
    public func labelHistogram() -> [Int] {
        var histogram = [Int](repeating: 0, count: Int(labels.max() ?? 0) + 1)
        for label in labels { histogram[Int(label)] += 1 }
        return histogram
    }

    /// The first `n` images (all of them if `n >= count`): a small subset for quick experiments and tests.
    public func prefix(_ n: Int) -> MNIST {
        let kept = max(0, min(n, count))
        return MNIST(split: split, images: Array(images[0..<(kept * imageSize)]), labels: Array(labels[0..<kept]),
                     rows: rows, cols: cols, channels: channels)
    }

    /// Finds `name.gz` or `name` in `directory`, verifies it, and parses it.
    private static func readIDX(_ name: String, in directory: URL,
                                checksums: DatasetChecksums?) throws -> (path: String, array: IDXArray) {
        let candidates = [name + ".gz", name]
        guard let fileName = candidates.first(where: {
            FileManager.default.fileExists(atPath: directory.appendingPathComponent($0).path)
        }) else {
            throw MNISTError(source: directory.displayPath, reason: .missingFile(triedNames: candidates))
        }
        let url = directory.appendingPathComponent(fileName)
        let path = url.displayPath
        let raw: [UInt8]
        do {
            raw = [UInt8](try Data(contentsOf: url))
        } catch {
            throw MNISTError(source: path, reason: .unreadable(error.localizedDescription))
        }
        let bytes = Gzip.isGzip(raw) ? try Gzip.decompress(raw, source: path) : raw
        try checksums?.verify(path: path, fileName: fileName, baseName: name, raw: raw, decompressed: bytes)
        return (path, try IDXArray(parsing: bytes, source: path))
    }
}
