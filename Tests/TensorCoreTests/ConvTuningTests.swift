import XCTest
@testable import TensorCore

/// `Benchmarks --tune-conv`: every pass timed by every path that applies, the rule kept unless beaten by the
/// margin, and the record read back only on the machine it was measured on.
final class ConvTuningTests: XCTestCase {
    let g = Conv2DGeometry(batch: 12, inChannels: 16, outChannels: 32, height: 8, width: 8,
                           kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1)

    func testTuneTimesEveryApplicablePathAndKeepsTheRuleWithinTheMargin() {
        let record = ConvTuning.tune(layers: [g], repeats: 1, margin: 1e9)
        XCTAssertEqual(record.choices.count, 3, "one choice per pass")
        for (choice, pass) in zip(record.choices, ConvPass.allCases) {
            XCTAssertEqual(choice.key, ConvTuning.Key(g, pass))
            XCTAssertEqual(Set(choice.imagesPerSecond.keys), Set(ConvPath.applicable(to: g, pass).map(\.rawValue)), "\(pass)")
            XCTAssertTrue(choice.imagesPerSecond.values.allSatisfy { $0 > 0 && $0.isFinite }, "\(pass)")
            XCTAssertEqual(choice.path, ConvPath.rule(for: g, pass).rawValue, "no path is 1e9 times faster than the rule's")
        }
        // With no margin the fastest measured path is stored, and it is one that applies.
        let eager = ConvTuning.tune(layers: [g], repeats: 1, margin: 0)
        for (choice, pass) in zip(eager.choices, ConvPass.allCases) {
            let fastest = choice.imagesPerSecond.max { $0.value < $1.value }!.key
            XCTAssertTrue(choice.path == fastest || choice.path == choice.rule, "\(pass): \(choice.path)")
            XCTAssertTrue(ConvPath(rawValue: choice.path)!.applies(to: g, pass))
        }
    }

    func testTheRecordIsReadBackOnlyForTheSameCachesAndCores() throws {
        let caches = CacheSizes(l1d: 48 << 10, l2: 2 << 20, l3: 32 << 20, reported: true)
        let key = ConvTuning.Key(g, .forward)
        let record = ConvTuning.Record(caches: caches, cores: 2, batch: 12, choices: [
            ConvTuning.Choice(key: key, rule: "implicit-im2col", path: "image-direct", imagesPerSecond: ["image-direct": 2, "implicit-im2col": 1]),
        ])
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("conv-tuning-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try ConvTuning.save(record, to: url)
        XCTAssertEqual(ConvTuning.stored(for: caches, cores: 2, at: url), record)
        XCTAssertEqual(ConvTuning.stored(for: caches, cores: 2, at: url)?.table[key], .imageDirect)
        XCTAssertNil(ConvTuning.stored(for: caches, cores: 4, at: url), "other core count")
        var other = caches
        other.l2 = 1 << 20
        XCTAssertNil(ConvTuning.stored(for: other, cores: 2, at: url), "other caches")
        try Data("{not json".utf8).write(to: url)
        XCTAssertNil(ConvTuning.stored(for: caches, cores: 2, at: url), "an unreadable file is ignored")
    }
}
