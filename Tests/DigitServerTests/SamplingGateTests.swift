import XCTest
@testable import DigitServer

/// The gate in front of sampling: it refuses at once when the requests ahead would, by the measured service
/// time, keep a new one waiting longer than its budget, and otherwise queues it in order.
final class SamplingGateTests: XCTestCase {
    /// Holds the slot for `duration`, then leaves: one "request" of that service time.
    func serve(_ gate: SamplingGate, for duration: Duration) async throws {
        let start = try await gate.enter()
        try await Task.sleep(for: duration)
        await gate.leave(since: start)
    }

    /// Asserts that the gate refuses a new request at once as full.
    func assertRefused(_ gate: SamplingGate, _ why: String, line: UInt = #line) async {
        do {
            _ = try await gate.enter()
            XCTFail(why, line: line)
        } catch {
            XCTAssertEqual(error, .queueFull, line: line)
        }
    }

    func testRefusesWhenTheQueueWouldTakeLongerThanItsBudget() async throws {
        let gate = SamplingGate(maxConcurrent: 1, maxWaiting: 8, maxWait: .seconds(10), maxQueueDelay: .milliseconds(50))
        try await serve(gate, for: .milliseconds(100))
        let measured = await gate.serviceTime
        XCTAssertGreaterThanOrEqual(measured ?? .zero, .milliseconds(100))
        let running = try await gate.enter()  // the slot is free: admitted at once
        await assertRefused(gate, "a request behind a 100 ms one cannot start within 50 ms, so it must be refused")
        await gate.leave(since: running)
    }

    func testQueuesWithinTheBudgetAndAdmitsInOrder() async throws {
        let gate = SamplingGate(maxConcurrent: 1, maxWaiting: 8, maxWait: .seconds(10), maxQueueDelay: .seconds(5))
        try await serve(gate, for: .milliseconds(20))
        let first = try await gate.enter()
        let second = Task { try await gate.enter() }
        while await gate.queueLength == 0 { try await Task.sleep(for: .milliseconds(5)) }
        await gate.leave(since: first)
        let admitted = try await second.value  // handed the slot by leave()
        await gate.leave(since: admitted)
        let waiting = await gate.queueLength
        XCTAssertEqual(waiting, 0)
    }

    /// Before any request has been timed there is nothing to estimate from: the queue bound alone applies.
    func testFirstRequestsAreNeverRefusedForAGuess() async throws {
        let gate = SamplingGate(maxConcurrent: 1, maxWaiting: 1, maxWait: .seconds(10), maxQueueDelay: .zero)
        let zero = await gate.expectedWait(behind: 3)
        XCTAssertEqual(zero, .zero)
        let first = try await gate.enter()
        let second = Task { try await gate.enter() }
        while await gate.queueLength == 0 { try await Task.sleep(for: .milliseconds(5)) }
        await assertRefused(gate, "maxWaiting 1 is full")
        await gate.leave(since: first)
        await gate.leave(since: try await second.value)
    }

    /// The wait counts what is left of the running request: behind one that has almost finished, a request is
    /// let in even with a budget far below one service time; behind one that has just started, it is refused.
    func testCountsWhatIsLeftOfTheRunningRequest() async throws {
        let gate = SamplingGate(maxConcurrent: 1, maxWaiting: 8, maxWait: .seconds(10), maxQueueDelay: .milliseconds(60))
        try await serve(gate, for: .milliseconds(200))
        let running = try await gate.enter()
        let early = await gate.expectedWait(behind: 0)
        XCTAssertGreaterThan(early, .milliseconds(100), "just started: most of a 200 ms service time is left")
        await assertRefused(gate, "about 200 ms left of the running request is over the 60 ms budget")
        try await Task.sleep(for: .milliseconds(190))
        let late = await gate.expectedWait(behind: 0)
        XCTAssertLessThanOrEqual(late, .milliseconds(60), "nearly done: at most the budget is left")
        let waiter = Task { try await gate.enter() }
        while await gate.queueLength == 0 { try await Task.sleep(for: .milliseconds(2)) }
        await gate.leave(since: running)
        await gate.leave(since: try await waiter.value)
    }
}
