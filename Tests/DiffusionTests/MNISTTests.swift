import Diffusion
import Foundation
import XCTest

final class MNISTTests: XCTestCase {
    /// Both splits are loaded once for the whole class: decompressing and hashing 55 MB takes a moment.
    static let train = Result { try MNIST.load(split: .train, directory: TestSupport.mnistDirectory) }
    static let test = Result { try MNIST.load(split: .test, directory: TestSupport.mnistDirectory) }

    func testTrainSplit() throws {
        let train = try Self.train.get()
        XCTAssertEqual(train.count, 60000)
        XCTAssertEqual(train.rows, 28)
        XCTAssertEqual(train.cols, 28)
        XCTAssertEqual(train.images.count, 60000 * 784)
        XCTAssertEqual(train.labels.count, 60000)
        let histogram = train.labelHistogram()
        XCTAssertEqual(histogram.count, 10)
        XCTAssertEqual(histogram.reduce(0, +), 60000)
        XCTAssertEqual(histogram[1], 6742)  // the most frequent digit
        XCTAssertEqual(histogram[5], 5421)  // the least frequent
        XCTAssertEqual(train.labels.prefix(8), [5, 0, 4, 1, 9, 2, 1, 3])
    }

    func testTestSplit() throws {
        let test = try Self.test.get()
        XCTAssertEqual(test.count, 10000)
        let histogram = test.labelHistogram()
        XCTAssertEqual(histogram.count, 10)
        XCTAssertTrue(histogram.allSatisfy { (800...1200).contains($0) }, "\(histogram)")
        XCTAssertEqual(test.labels.prefix(5), [7, 2, 1, 0, 4])
    }

    func testPixelsAndLabels() throws {
        let test = try Self.test.get()
        let batch = test.pixels(indices: [3, 0], range: .minusOneToOne)
        XCTAssertEqual(batch.count, 2 * 784)
        XCTAssertEqual(batch.min(), -1)
        XCTAssertEqual(batch.max(), 1)
        XCTAssertEqual(Array(batch[784..<(2 * 784)]), test.pixels(indices: [0], range: .minusOneToOne))
        XCTAssertEqual(test.labels(indices: [3, 0]), [0, 7])
        let unit = test.pixels(indices: [0], range: .zeroToOne)
        XCTAssertEqual(unit.max(), 1)
        XCTAssertEqual(unit.min(), 0)
        XCTAssertEqual(test.prefix(10).count, 10)
        XCTAssertEqual(test.prefix(10).image(9), test.image(9))
    }

    func testDefaultDirectoryFindsData() {
        let directory = MNIST.defaultDirectory
        XCTAssertTrue(FileManager.default.fileExists(atPath: directory.appendingPathComponent("t10k-labels-idx1-ubyte.gz").path),
                      directory.path)
    }

    /// Copies the test split into a scratch directory named `name`, optionally replacing the label file.
    func copyTestSplit(to name: String, labels: [UInt8]? = nil) throws -> URL {
        let directory = try TestSupport.scratchDirectory(named: name)
        for file in ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"] {
            try FileManager.default.copyItem(at: TestSupport.mnistDirectory.appendingPathComponent(file),
                                             to: directory.appendingPathComponent(file))
        }
        if let labels {
            try FileManager.default.removeItem(at: directory.appendingPathComponent("t10k-labels-idx1-ubyte.gz"))
            try Data(labels).write(to: directory.appendingPathComponent("t10k-labels-idx1-ubyte"))
        }
        return directory
    }

    func testChecksumMismatchNamesFile() throws {
        var labels = try Gzip.readFile(TestSupport.mnistDirectory.appendingPathComponent("t10k-labels-idx1-ubyte.gz"))
        labels[100] = labels[100] == 0 ? 1 : 0  // still a valid IDX file, but not the original
        let directory = try copyTestSplit(to: "MNIST", labels: labels)
        defer { TestSupport.remove(directory) }

        let error = TestSupport.error(MNISTError.self) { _ = try MNIST.load(split: .test, directory: directory) }
        guard case .checksumMismatch(let expected, _, _)? = error?.reason else { return XCTFail("expected a checksum mismatch") }
        XCTAssertEqual(expected, DatasetChecksums.mnist["t10k-labels-idx1-ubyte"])
        XCTAssertEqual(error?.source.hasSuffix("MNIST/t10k-labels-idx1-ubyte"), true, error?.source ?? "")
        XCTAssertTrue(error?.description.contains("t10k-labels-idx1-ubyte: SHA-256 mismatch (expected ff7bcfd4") == true,
                      error?.description ?? "")
        // Without verification the modified copy loads.
        XCTAssertEqual(try MNIST.load(split: .test, directory: directory, verifyChecksums: false).count, 10000)
    }

    func testOtherDatasetsUseSumsFileOrNone() throws {
        let directory = try copyTestSplit(to: "fashion")
        defer { TestSupport.remove(directory) }
        XCTAssertEqual(try MNIST.load(split: .test, directory: directory).count, 10000, "no sums: not verified")

        // sha256sum-style file: a .gz name is checked against the compressed bytes, a plain name against the
        // decompressed ones.
        let gz = try Data(contentsOf: directory.appendingPathComponent("t10k-images-idx3-ubyte.gz"))
        let sums = """
            \(DatasetChecksums.sha256([UInt8](gz)))  t10k-images-idx3-ubyte.gz
            \(DatasetChecksums.mnist["t10k-labels-idx1-ubyte"]!) *t10k-labels-idx1-ubyte
            """
        try sums.write(to: directory.appendingPathComponent("SHA256SUMS"), atomically: true, encoding: .utf8)
        XCTAssertEqual(try MNIST.load(split: .test, directory: directory).count, 10000)

        try "\(String(repeating: "0", count: 64))  t10k-images-idx3-ubyte.gz\n"
            .write(to: directory.appendingPathComponent("SHA256SUMS"), atomically: true, encoding: .utf8)
        let error = TestSupport.error(MNISTError.self) { _ = try MNIST.load(split: .test, directory: directory) }
        guard case .checksumMismatch(_, _, let origin)? = error?.reason else { return XCTFail("expected a mismatch") }
        XCTAssertTrue(origin.hasSuffix("SHA256SUMS"))
        XCTAssertTrue(error?.source.hasSuffix("t10k-images-idx3-ubyte.gz") == true)
    }

    func testLabelCountMustMatch() throws {
        let directory = try copyTestSplit(to: "short", labels: TestSupport.idx(dimensions: [5], data: [1, 2, 3, 4, 5]))
        defer { TestSupport.remove(directory) }
        let error = TestSupport.error(MNISTError.self) { _ = try MNIST.load(split: .test, directory: directory) }
        XCTAssertEqual(error?.reason, .countMismatch(images: 10000, labels: 5, imagesFile: directory.appendingPathComponent("t10k-images-idx3-ubyte.gz").displayPathForTest))
    }

    func testMissingFile() throws {
        let directory = try TestSupport.scratchDirectory(named: "empty")
        defer { TestSupport.remove(directory) }
        let error = TestSupport.error(MNISTError.self) { _ = try MNIST.load(split: .train, directory: directory) }
        XCTAssertEqual(error?.reason, .missingFile(triedNames: ["train-images-idx3-ubyte.gz", "train-images-idx3-ubyte"]))
    }

    func testChecksumFileParsing() {
        let sums = DatasetChecksums.parse("""
            ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db  train-images-idx3-ubyte
            not a checksum line
            65A50CBBF4E906D70832878AD85CCDA5333A97F0F4C3DD2EF09A8A9EEF7101C5 *train-labels-idx1-ubyte
            """)
        XCTAssertEqual(sums, ["train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
                              "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"])
        XCTAssertEqual(DatasetChecksums.sha256(Array("abc".utf8)),
                       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}

import TensorCore

extension URL {
    /// The path as the library shows it in errors.
    var displayPathForTest: String { displayPath }
}

/// The shipped Fashion-MNIST: all four files present, verified against their SHA256SUMS, with class names.
final class FashionMNISTTests: XCTestCase {
    func testShippedFashionMNISTLoadsAndVerifies() throws {
        let test = try Dataset.fashionMNIST.load(.test)
        XCTAssertEqual(test.count, 10_000)
        XCTAssertEqual(test.labelHistogram(), Array(repeating: 1000, count: 10))
        XCTAssertEqual(Dataset.fashionMNIST.classNames[7], "Sneaker")
        XCTAssertEqual(Dataset(rawValue: "fashion-mnist"), .fashionMNIST)
        // A corrupted copy is refused, naming the file.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fashion-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for name in ["SHA256SUMS", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"] {
            try FileManager.default.copyItem(at: Dataset.fashionMNIST.directory.appendingPathComponent(name), to: dir.appendingPathComponent(name))
        }
        var labels = try Data(contentsOf: dir.appendingPathComponent("t10k-labels-idx1-ubyte.gz"))
        labels[labels.count - 5] ^= 0xFF
        try labels.write(to: dir.appendingPathComponent("t10k-labels-idx1-ubyte.gz"))
        XCTAssertThrowsError(try MNIST.load(split: .test, directory: dir)) {
            XCTAssertTrue("\($0)".contains("t10k-labels-idx1-ubyte.gz"), "\($0)")
        }
    }
}
