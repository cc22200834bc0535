import XCTest
@testable import TensorCore

/// Reading the cache sizes the OS reports, the blocking derived from them, and the stored tuning record.
final class GEMMBlockingTests: XCTestCase {
    func testParsesSysfsSizes() {
        XCTAssertEqual(CacheSizes.parseSize("48K"), 48 << 10)
        XCTAssertEqual(CacheSizes.parseSize("2048K"), 2 << 20)
        XCTAssertEqual(CacheSizes.parseSize("260M"), 260 << 20)
        XCTAssertEqual(CacheSizes.parseSize("512"), 512)
        for bad in ["", "K", "-4K", "0K", "12Q", "1.5M"] { XCTAssertNil(CacheSizes.parseSize(bad), bad) }
    }

    /// A sysfs tree as Linux lays it out (an instruction cache that must not be taken for L1d), written here.
    func testReadsASysfsTree() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("caches-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        for (i, entry) in [("1", "Instruction", "32K"), ("1", "Data", "48K"), ("2", "Unified", "2048K"),
                           ("3", "Unified", "266240K")].enumerated() {
            let dir = root.appendingPathComponent("index\(i)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            try entry.0.write(to: dir.appendingPathComponent("level"), atomically: true, encoding: .utf8)
            try (entry.1 + "\n").write(to: dir.appendingPathComponent("type"), atomically: true, encoding: .utf8)
            try (entry.2 + "\n").write(to: dir.appendingPathComponent("size"), atomically: true, encoding: .utf8)
        }
        XCTAssertEqual(CacheSizes.fromSysfs(root: root.path), CacheSizes(l1d: 48 << 10, l2: 2 << 20, l3: 260 << 20))
        XCTAssertNil(CacheSizes.fromSysfs(root: root.appendingPathComponent("missing").path))
    }

    /// The cache model of GEMMBlocking.swift, worked out by hand for the two machines this project has run on
    /// and for caches too small or too large for the clamps.
    func testDerivedBlocking() {
        XCTAssertEqual(GEMMBlocking.derived(from: CacheSizes(l1d: 32 << 10, l2: 1 << 20)), GEMMBlocking(kc: 320, mc: 342))
        XCTAssertEqual(GEMMBlocking.derived(from: CacheSizes(l1d: 48 << 10, l2: 2 << 20)), GEMMBlocking(kc: 512, mc: 444))
        XCTAssertEqual(GEMMBlocking.derived(from: CacheSizes(l1d: 8 << 10, l2: 128 << 10)), GEMMBlocking(kc: 128, mc: 60))
        XCTAssertEqual(GEMMBlocking.derived(from: CacheSizes(l1d: 1 << 20, l2: 64 << 20)), GEMMBlocking(kc: 512, mc: 1020))
        let here = GEMMBlocking.derived(from: CacheSizes.thisMachine())
        XCTAssertTrue(GEMMBlocking.kcRange.contains(here.kc) && GEMMBlocking.mcRange.contains(here.mc))
    }

    func testCandidatesAreValidAndStartWithTheDerivedOne() {
        let derived = GEMMBlocking(kc: 320, mc: 342)
        let all = GEMMBlocking.candidates(around: derived)
        XCTAssertEqual(all.first, derived)
        XCTAssertEqual(Set(all.map { [$0.kc, $0.mc] }).count, all.count, "no candidate twice")
        XCTAssertTrue(all.contains(GEMMBlocking(kc: 384, mc: 288)))
        for b in all {
            XCTAssertTrue(GEMMBlocking.kcRange.contains(b.kc) && b.kc % 32 == 0, "\(b)")
            XCTAssertTrue(GEMMBlocking.mcRange.contains(b.mc) && b.mc % GEMM.mr == 0, "\(b)")
        }
    }

    /// A stored record is used only on a machine with the same caches and cores, and a damaged file or an
    /// out-of-range blocking is ignored rather than trusted.
    func testStoredRecordMustMatchTheMachine() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tuning-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: url) }
        let caches = CacheSizes(l1d: 48 << 10, l2: 2 << 20, l3: 260 << 20)
        let record = GEMMTuning.Record(caches: caches, cores: 2, blocking: GEMMBlocking(kc: 256, mc: 222),
                                       measured: [.init(blocking: GEMMBlocking(kc: 256, mc: 222), gflops: 100)])
        try GEMMTuning.save(record, to: url)
        XCTAssertEqual(GEMMTuning.stored(for: caches, cores: 2, at: url), record)
        XCTAssertNil(GEMMTuning.stored(for: caches, cores: 4, at: url))
        XCTAssertNil(GEMMTuning.stored(for: CacheSizes(l1d: 32 << 10, l2: 1 << 20), cores: 2, at: url))
        try Data("{\"caches\": 1".utf8).write(to: url)
        XCTAssertNil(GEMMTuning.stored(for: caches, cores: 2, at: url))
        var bad = record
        bad.blocking.mc = 100  // not a multiple of 6
        try GEMMTuning.save(bad, to: url)
        XCTAssertNil(GEMMTuning.stored(for: caches, cores: 2, at: url))
    }

    /// The tune measures every candidate and keeps the first (derived) one unless another clearly wins.
    func testTuneMeasuresEveryCandidate() {
        let candidates = [GEMMBlocking(kc: 128, mc: 48), GEMMBlocking(kc: 256, mc: 96)]
        let record = GEMMTuning.tune(candidates: candidates, repeats: 1, shapes: [(false, false, 60, 300, 70)])
        XCTAssertEqual(record.measured.map(\.blocking), candidates)
        XCTAssertTrue(record.measured.allSatisfy { $0.gflops > 0 && $0.gflops.isFinite })
        XCTAssertTrue(candidates.contains(record.blocking))
    }
}
