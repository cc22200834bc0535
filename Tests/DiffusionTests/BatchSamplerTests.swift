@testable import Diffusion
import XCTest

final class BatchSamplerTests: XCTestCase {
    func testSplitMix64KnownValues() {
        var generator = SplitMix64(seed: 0)
        XCTAssertEqual(generator.next(), 0xE220_A839_7B1D_CDAF)
        XCTAssertEqual(generator.next(), 0x6E78_9E6A_A1B9_65F4)
    }

    func testEveryIndexOncePerEpoch() {
        var sampler = BatchSampler(count: 103, batchSize: 10, shuffle: true, seed: 7)
        XCTAssertEqual(sampler.batchesPerEpoch, 11)
        let epoch = sampler.nextEpoch()
        XCTAssertEqual(epoch.count, 11)
        XCTAssertEqual(epoch.last?.count, 3)
        XCTAssertEqual(epoch.flatMap { $0 }.sorted(), Array(0..<103))
        XCTAssertNotEqual(epoch.flatMap { $0 }, Array(0..<103), "shuffled")
        XCTAssertEqual(sampler.epoch, 1)
    }

    func testDeterministicFromSeed() {
        var a = BatchSampler(count: 50, batchSize: 8, seed: 42)
        var b = BatchSampler(count: 50, batchSize: 8, seed: 42)
        var c = BatchSampler(count: 50, batchSize: 8, seed: 43)
        let first = a.nextEpoch()
        XCTAssertEqual(first, b.nextEpoch())
        XCTAssertNotEqual(first, c.nextEpoch())
        XCTAssertNotEqual(first, a.nextEpoch(), "each epoch has a new order")
    }

    func testSequentialAndDropLast() {
        var sampler = BatchSampler(count: 10, batchSize: 4, shuffle: false, dropLast: true)
        XCTAssertEqual(sampler.nextEpoch(), [[0, 1, 2, 3], [4, 5, 6, 7]])
        var empty = BatchSampler(count: 0, batchSize: 4)
        XCTAssertEqual(empty.nextEpoch(), [])
    }

    func testUnbiasedBound() {
        var generator = SplitMix64(seed: 1)
        var counts = [Int](repeating: 0, count: 3)
        for _ in 0..<30000 { counts[generator.next(below: 3)] += 1 }
        XCTAssertTrue(counts.allSatisfy { abs($0 - 10000) < 400 }, "\(counts)")
    }

    func testPixelRange() {
        XCTAssertEqual(PixelRange.minusOneToOne.value(0), -1)
        XCTAssertEqual(PixelRange.minusOneToOne.value(255), 1)
        XCTAssertEqual(PixelRange.zeroToOne.value(51), 0.2, accuracy: 1e-7)
        let images: [UInt8] = [0, 255, 10, 20]
        let (a, b): (Float, Float) = (10 / 255, 20 / 255)
        let expected: [Float] = [a, b, 0, 1, a, b]
        XCTAssertEqual(PixelRange.zeroToOne.floats(from: images, imageSize: 2, indices: [1, 0, 1]), expected)
    }
}
