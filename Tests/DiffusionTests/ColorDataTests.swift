import Foundation
import XCTest
import TensorCore
@testable import Diffusion

/// CIFAR-10's binary format (written here into small files of the same layout), color batches `[N, 3, 32, 32]`
/// through the model and the training loop, RGB grids, and the rows of samples logged while training.
final class ColorDataTests: XCTestCase {
    func directory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("cifar-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Image i: red plane all 10 i, green 100, blue 200 + i, except pixel (row 1, col 2) of red = 255.
    func records(_ n: Int, labels: [UInt8]) -> [UInt8] {
        var images: [UInt8] = []
        for i in 0..<n {
            var red = [UInt8](repeating: UInt8(10 * i), count: 1024)
            red[1 * 32 + 2] = 255
            images += red + [UInt8](repeating: 100, count: 1024) + [UInt8](repeating: UInt8(200 + i), count: 1024)
        }
        return CIFAR10.encode(images: images, labels: labels)
    }

    func testReadsTheBinaryBatchesAsColorImages() throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data(records(3, labels: [0, 9, 4])).write(to: dir.appendingPathComponent("data_batch_1.bin"))
        try Data(records(2, labels: [1, 2])).write(to: dir.appendingPathComponent("data_batch_2.bin"))
        try Data(records(1, labels: [7])).write(to: dir.appendingPathComponent("test_batch.bin"))
        XCTAssertTrue(CIFAR10.isCIFAR(dir))
        let train = try CIFAR10.load(split: .train, directory: dir), test = try CIFAR10.load(split: .test, directory: dir)
        XCTAssertEqual(train.count, 5, "batches 1 and 2 (3 to 5 absent)")
        XCTAssertEqual(Array(train.labels), [0, 9, 4, 1, 2])
        XCTAssertEqual(test.count, 1)
        XCTAssertEqual([train.channels, train.rows, train.cols], [3, 32, 32])
        let (batch, labels) = train.batch([2, 0], range: .zeroToOne)
        XCTAssertEqual(batch.shape, [2, 3, 32, 32])
        XCTAssertEqual(labels, [4, 0])
        let x = batch.scalars
        XCTAssertEqual(x[0], 20 / 255, accuracy: 1e-6, "image 2, red, pixel (0, 0)")
        XCTAssertEqual(x[1 * 32 + 2], 1, accuracy: 1e-6, "red pixel (1, 2)")
        XCTAssertEqual(x[1024], 100 / 255, accuracy: 1e-6, "green plane")
        XCTAssertEqual(x[2048], 202 / 255, accuracy: 1e-6, "blue plane")
        XCTAssertEqual(x[3072 + 2048], 200 / 255, accuracy: 1e-6, "image 0, blue")
    }

    func testBadFilesAreNamed() throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        XCTAssertThrowsError(try CIFAR10.load(split: .test, directory: dir)) {
            XCTAssertEqual(($0 as? CIFARError)?.reason, .missing)
            XCTAssertTrue("\($0)".contains("test_batch.bin"))
        }
        try Data(records(2, labels: [1, 2]).dropLast()).write(to: dir.appendingPathComponent("test_batch.bin"))
        XCTAssertThrowsError(try CIFAR10.load(split: .test, directory: dir)) {
            XCTAssertEqual(($0 as? CIFARError)?.reason, .partialRecord(bytes: 2 * 3073 - 1, recordSize: 3073))
        }
        try Data(records(2, labels: [1, 12])).write(to: dir.appendingPathComponent("test_batch.bin"))
        XCTAssertThrowsError(try CIFAR10.load(split: .test, directory: dir)) {
            XCTAssertEqual(($0 as? CIFARError)?.reason, .badLabel(record: 1, value: 12))
            XCTAssertTrue("\($0)".contains("record 1 has label 12"))
        }
    }

    func testColorGridKeepsTheChannels() {
        // One 2x2 image: red everywhere ([1, -1, -1] in [-1, 1]).
        let red = Tensor(shape: [1, 3, 2, 2], scalars: [Float](repeating: 1, count: 4) + [Float](repeating: -1, count: 8))
        let image = ImageGrid.makeColor(red, columns: 1, range: -1...1, scale: 1)
        // The first image pixel sits after the padding (2 px).
        XCTAssertEqual(image[2, 2], RGB(255, 0, 0))
        XCTAssertEqual(ImageGrid.picture(red, columns: 1, range: -1...1, scale: 1), image)
    }

    /// A 3-channel 32x32 model trains on color batches, and the sample log gets one row per logged step.
    func testColorTrainingWithSamplesLoggedAlongTheWay() throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data(records(8, labels: [0, 1, 2, 3, 4, 5, 6, 7])).write(to: dir.appendingPathComponent("data_batch_1.bin"))
        let data = try CIFAR10.load(split: .train, directory: dir)
        var r = TestSupport.tinyRecipe()
        r.model = r.model.fitted(to: data)
        XCTAssertEqual([r.model.inChannels, r.model.outChannels, r.model.sampleSize], [3, 3, 32])
        r.timesteps = 20
        r.batchSize = 4
        let training = DiffusionTraining(recipe: r, stepsPerEpoch: 2)
        let log = TrainingSampleLog(url: dir.appendingPathComponent("log.png"), labels: [0, 1, 2], every: 1,
                                    settings: SamplingSettings(steps: 2), columnLabels: ["airplane", "automobile", "bird"])
        _ = try training.run(data: data, budget: TrainingBudget(epochs: 1), checkpointURL: nil, sampleLog: log)
        XCTAssertEqual(log.rows.map(\.step), [1, 2], "a row after each step; the end (step 2) is not repeated")
        XCTAssertEqual(log.rows[0].images.shape, [3, 3, 32, 32])
        let png = try RGBImage.readPNG(contentsOf: log.url)
        XCTAssertEqual(png, log.image())
        XCTAssertGreaterThan(png.height, 2 * 64, "two rows of 32 px images at scale 2")
    }
}
