import XCTest
@testable import DigitServer

/// The gate in front of sampling: it refuses at once when the requests ahead would, by the measured speed and
/// their sizes, keep a new one waiting longer than its budget, and otherwise queues it in order.
final class SamplingGateTests: XCTestCase {
    /// Holds the slot for `duration`, then leaves: one "request" of that service time and `cost`.
    func serve(_ gate: SamplingGate, for duration: Duration, cost: Double = 1) async throws {
        let ticket = try await gate.enter(cost: cost)
        try await Task.sleep(for: duration)
        await gate.leave(ticket)
    }

    /// Waits (up to 2 s) until a request is queued at the gate; fails instead of hanging if none is.
    func waitForAWaiter(_ gate: SamplingGate, line: UInt = #line) async throws {
        for _ in 0..<1000 {
            if await gate.queueLength > 0 { return }
            try await Task.sleep(for: .milliseconds(2))
        }
        XCTFail("no request is waiting at the gate", line: line)
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
        let measured = await gate.secondsPerUnit
        XCTAssertGreaterThanOrEqual(measured ?? 0, 0.1)
        let running = try await gate.enter()  // the slot is free: admitted at once
        await assertRefused(gate, "a request behind a 100 ms one cannot start within 50 ms, so it must be refused")
        await gate.leave(running)
    }

    func testQueuesWithinTheBudgetAndAdmitsInOrder() async throws {
        let gate = SamplingGate(maxConcurrent: 1, maxWaiting: 8, maxWait: .seconds(10), maxQueueDelay: .seconds(5))
        try await serve(gate, for: .milliseconds(20))
        let first = try await gate.enter()
        let second = Task { try await gate.enter() }
        try await waitForAWaiter(gate)
        await gate.leave(first)
        let admitted = try await second.value  // handed the slot by leave()
        await gate.leave(admitted)
        let waiting = await gate.queueLength
        XCTAssertEqual(waiting, 0)
    }

    /// A slot handed to a waiter by `leave` is taken even before the waiter resumes: a request arriving in
    /// between must queue, not run beside it.
    func testAHandedOverSlotIsNotGivenTwice() async throws {
        let gate = SamplingGate(maxConcurrent: 1, maxWaiting: 8, maxWait: .seconds(10), maxQueueDelay: .seconds(5))
        let first = try await gate.enter()
        let second = Task { try await gate.enter() }
        try await waitForAWaiter(gate)
        await gate.leave(first)
        let third = Task { try await gate.enter() }
        let secondTicket = try await second.value
        try await waitForAWaiter(gate)  // the third waits
        await gate.leave(secondTicket)
        await gate.leave(try await third.value)
    }

    /// Before any request has been timed there is nothing to estimate from: the queue bound alone applies.
    func testFirstRequestsAreNeverRefusedForAGuess() async throws {
        let gate = SamplingGate(maxConcurrent: 1, maxWaiting: 1, maxWait: .seconds(10), maxQueueDelay: .zero)
        let zero = await gate.expectedWait()
        XCTAssertEqual(zero, .zero)
        let first = try await gate.enter(cost: 1000)
        let second = Task { try await gate.enter() }
        try await waitForAWaiter(gate)
        await assertRefused(gate, "maxWaiting 1 is full")
        await gate.leave(first)
        await gate.leave(try await second.value)
    }

    /// The wait counts what is left of the running request: behind one that has almost finished, a request is
    /// let in even with a budget far below one service time; behind one that has just started, it is refused.
    func testCountsWhatIsLeftOfTheRunningRequest() async throws {
        let gate = SamplingGate(maxConcurrent: 1, maxWaiting: 8, maxWait: .seconds(10), maxQueueDelay: .milliseconds(60))
        try await serve(gate, for: .milliseconds(200))
        let running = try await gate.enter()
        let early = await gate.expectedWait()
        XCTAssertGreaterThan(early, .milliseconds(100), "just started: most of a 200 ms service time is left")
        await assertRefused(gate, "about 200 ms left of the running request is over the 60 ms budget")
        try await Task.sleep(for: .milliseconds(190))
        let late = await gate.expectedWait()
        XCTAssertLessThanOrEqual(late, .milliseconds(60), "nearly done: at most the budget is left")
        let waiter = Task { try await gate.enter() }
        try await waitForAWaiter(gate)
        await gate.leave(running)
        await gate.leave(try await waiter.value)
    }

    /// The estimate scales with each request's cost: the gate learns seconds per unit from a small request, so
    /// behind a large one (100 units) a small one is refused at once, and behind a small one of the same
    /// measured speed it is queued.
    func testTheEstimateScalesWithTheRunningRequestsCost() async throws {
        let gate = SamplingGate(maxConcurrent: 1, maxWaiting: 8, maxWait: .seconds(10), maxQueueDelay: .milliseconds(500))
        try await serve(gate, for: .milliseconds(20), cost: 1)   // about 20 ms per unit
        let large = try await gate.enter(cost: 100)              // about 2 s by that speed
        let behindLarge = await gate.expectedWait()
        XCTAssertGreaterThan(behindLarge, .seconds(1), "100 units at about 20 ms each")
        await assertRefused(gate, "a one-unit request behind a 100-unit one would wait about 2 s, over the 500 ms budget")
        await gate.leave(large)
        let small = try await gate.enter(cost: 1)
        let waiter = Task { try await gate.enter(cost: 1) }      // about 20 ms behind a one-unit request: queued
        try await waitForAWaiter(gate)
        await gate.leave(small)
        await gate.leave(try await waiter.value)
    }
}
