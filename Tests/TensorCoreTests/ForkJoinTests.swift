import Foundation
import XCTest
@testable import TensorCore

/// The two-way fork-join the kernels' parallel regions run on: both halves run exactly once, calls made while
/// it is busy (nested, or from other threads) run serially, and it keeps working after the helper slept.
final class ForkJoinTests: XCTestCase {
    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var values: [Int] = []
        func add(_ v: Int) { lock.lock(); values.append(v); lock.unlock() }
        var all: [Int] { lock.lock(); defer { lock.unlock() }; return values.sorted() }
    }

    func testBothHalvesRunOnce() {
        for _ in 0..<1_000 {
            var a = 0, b = 0
            ForkJoin.shared.run({ a += 1 }, { b += 1 })
            XCTAssertEqual(a, 1)
            XCTAssertEqual(b, 1)
        }
    }

    func testNestedCallsRunSerially() {
        let seen = Counter()
        ForkJoin.shared.run({
            ForkJoin.shared.run({ seen.add(0) }, { seen.add(1) })
        }, {
            Parallel.perform(2) { seen.add(10 + $0) }
        })
        XCTAssertEqual(seen.all, [0, 1, 10, 11])
    }

    /// Four threads share one helper: every region of every thread runs both halves.
    func testConcurrentCallersAllComplete() {
        let seen = Counter()
        DispatchQueue.concurrentPerform(iterations: 4) { t in
            for i in 0..<200 {
                ForkJoin.shared.run({ seen.add(t * 1_000 + 2 * i) }, { seen.add(t * 1_000 + 2 * i + 1) })
            }
        }
        XCTAssertEqual(seen.all, (0..<4).flatMap { t in (0..<400).map { t * 1_000 + $0 } })
    }

    /// After the helper has gone to sleep (more than its spin time with nothing to do), work still completes.
    func testWorksAfterTheHelperSlept() {
        for _ in 0..<5 {
            Thread.sleep(forTimeInterval: ForkJoin.spinSeconds * 20)
            var a = 0, b = 0
            ForkJoin.shared.run({ a = 1 }, { b = 2 })
            XCTAssertEqual(a + b, 3)
        }
    }

    func testPerformCoversEveryIndex() {
        for count in 0...5 {
            let seen = Counter()
            Parallel.perform(count) { seen.add($0) }
            XCTAssertEqual(seen.all, Array(0..<count))
        }
    }
}
