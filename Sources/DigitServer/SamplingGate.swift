import Foundation

/// Sampling is CPU-bound and both cores serve one request at a time best, so requests pass a gate:
/// at most `maxConcurrent` run and the others wait in order. A request is only let into the queue if the
/// requests ahead of it will, by the measured speed, their sizes and how long the running ones have already run,
/// be done within `maxQueueDelay`; otherwise (or when `maxWaiting` wait already, or a waiter is not admitted
/// within `maxWait`) it is answered 503 with Retry-After at once. Refusing early is what keeps the accepted
/// requests fast under overload: a queue of eight 0.13 s requests made every accepted one wait about a second,
/// and even a queue of one doubles the latency (scripts/overload.sh, issue 17). A short budget still lets a
/// request in when the running one is about to finish, so the slot does not sit idle until the next arrival.
///
/// Requests differ in size by a factor of hundreds (one digit in 10 steps, or twelve in 200 with guidance), so
/// each comes with a `cost` in units of work (images times model calls) and the gate measures seconds per unit:
/// behind a twelve-digit request that has just started, a one-digit request is refused, not left to wait 10 s.
actor SamplingGate {
    enum Refusal: Error { case queueFull, timedOut }

    /// A granted slot; hand it back to `leave(_:)`.
    struct Ticket: Sendable, Equatable {
        let id: Int
        let start: ContinuousClock.Instant
        let cost: Double
    }

    let maxConcurrent: Int
    let maxWaiting: Int
    let maxWait: Duration
    let maxQueueDelay: Duration
    /// The requests holding a slot, including a waiter `leave` has handed one to that has not resumed yet.
    private var running: [Ticket] = []
    /// Each waiter's continuation is resumed with its ticket when admitted, or nil when it timed out.
    private var waiters: [(id: Int, cost: Double, continuation: CheckedContinuation<Ticket?, Never>)] = []
    private var nextID = 0
    /// Moving average of the seconds one unit of cost holds the slot (nil until a request has finished).
    private(set) var secondsPerUnit: Double?
    private let clock = ContinuousClock()

    init(maxConcurrent: Int, maxWaiting: Int, maxWait: Duration, maxQueueDelay: Duration = .seconds(30)) {
        self.maxConcurrent = maxConcurrent
        self.maxWaiting = maxWaiting
        self.maxWait = maxWait
        self.maxQueueDelay = maxQueueDelay
    }

    /// Waits for a slot for a request of `cost` units (> 0) and returns its ticket. Every successful `enter`
    /// must be paired with `leave(_:)`.
    func enter(cost: Double = 1) async throws(Refusal) -> Ticket {
        precondition(cost > 0 && cost.isFinite, "a request's cost must be positive, got \(cost)")
        let id = nextID
        nextID += 1
        if running.count < maxConcurrent {
            let ticket = Ticket(id: id, start: clock.now, cost: cost)
            running.append(ticket)
            return ticket
        }
        guard waiters.count < maxWaiting, expectedWait() <= maxQueueDelay else { throw .queueFull }
        let limit = maxWait
        Task { [weak self] in
            try? await Task.sleep(for: limit)
            await self?.expire(id)
        }
        let admitted = await withCheckedContinuation { continuation in waiters.append((id, cost, continuation)) }
        guard let admitted else { throw .timedOut }
        return admitted
    }

    /// How long a request arriving now would wait: what is left of each running request by its cost and the
    /// measured speed (at least nothing), plus the cost of every waiter ahead, shared over `maxConcurrent` slots.
    /// Zero until a request has been timed, so the first ones are never refused for a guess.
    func expectedWait() -> Duration {
        guard let secondsPerUnit else { return .zero }
        let now = clock.now
        let left = running.reduce(0.0) { $0 + max(0, $1.cost * secondsPerUnit - Self.seconds($1.start.duration(to: now))) }
        let queued = waiters.reduce(0.0) { $0 + $1.cost } * secondsPerUnit
        return .seconds((left + queued) / Double(maxConcurrent))
    }

    /// Frees the ticket's slot, handing it straight to the longest waiter if there is one (its ticket is in
    /// `running` from this moment, so no arrival can take the slot before the waiter resumes), and updates the speed.
    func leave(_ ticket: Ticket) {
        let held = ticket.start.duration(to: clock.now)
        let rate = Self.seconds(held) / ticket.cost
        secondsPerUnit = secondsPerUnit.map { $0 * 0.8 + rate * 0.2 } ?? rate
        running.removeAll { $0 == ticket }
        if !waiters.isEmpty {
            let next = waiters.removeFirst()
            let ticket = Ticket(id: next.id, start: clock.now, cost: next.cost)
            running.append(ticket)
            next.continuation.resume(returning: ticket)
        }
    }

    private static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    private func expire(_ id: Int) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).continuation.resume(returning: nil)
    }

    var queueLength: Int { waiters.count }
}
