import XCTest
import TensorCore
@testable import Diffusion

/// A long map row resumes batch by batch: kept batches are the digits `generateInBatches` draws, a rerun
/// reuses them, and a batch kept under other provenance is sampled again.
final class SampleBatchFilesTests: XCTestCase {
    func testKeptBatchesAreReusedAndMatchOneRunInOneGo() throws {
        let trained = EditingTests.tiny
        let labels = (0..<10).map { $0 % 10 }
        let settings = SamplingSettings(sampler: .ddim, steps: 3, guidance: 0.5)
        let dir = try TestSupport.scratchDirectory()
        defer { TestSupport.remove(dir) }
        let files = SampleBatchFiles(directory: dir, key: "ddim-3-w0.5", provenance: ["model": "tiny", "seed": "5"])

        let whole = try trained.generateInBatches(labels: labels, settings: settings, seed: 5, batch: 4)
        let first = try files.generate(trained, labels: labels, settings: settings, seed: 5, batch: 4)
        XCTAssertEqual(first.images.shape, [10, 1, 28, 28])
        XCTAssertEqual(first.images.scalars, whole.scalars, "batch b from seed + its first index, as generateInBatches")
        for start in [0, 4, 8] { XCTAssertTrue(FileManager.default.fileExists(atPath: files.url(start: start).path), "batch \(start) kept") }

        // Overwrite one kept batch with zeros: a rerun must load it rather than sample it again.
        let px = 28 * 28
        let zeros = Tensor(shape: [4, 1, 28, 28], scalars: Array(repeating: 0, count: 4 * px))
        try files.save(zeros, start: 4, labels: Array(labels[4..<8]), seconds: 1)
        var steps = 0
        let again = try files.generate(trained, labels: labels, settings: settings, seed: 5, batch: 4) { done, _ in steps = max(steps, done) }
        XCTAssertEqual(steps, 0, "nothing sampled: every batch was kept")
        XCTAssertEqual(Array(again.images.scalars[(4 * px)..<(8 * px)]), zeros.scalars)
        XCTAssertEqual(Array(again.images.scalars[0..<(4 * px)]), Array(whole.scalars[0..<(4 * px)]))

        // Other provenance (another seed): the kept files do not match and everything is sampled again.
        let other = SampleBatchFiles(directory: dir, key: "ddim-3-w0.5", provenance: ["model": "tiny", "seed": "6"])
        XCTAssertNil(other.load(start: 0, labels: Array(labels[0..<4])))
        let resampled = try other.generate(trained, labels: labels, settings: settings, seed: 5, batch: 4)
        XCTAssertEqual(resampled.images.scalars, whole.scalars)
        // Other labels for the same batch do not match either.
        XCTAssertNil(other.load(start: 0, labels: [9, 9, 9, 9]))
    }
}
