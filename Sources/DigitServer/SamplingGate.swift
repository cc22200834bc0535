import Foundation

/// Sampling is CPU-bound and both cores serve one request at a time best, so requests pass a gate:
/// at most `maxConcurrent` run and the others wait in order. A request is only let into the queue if the
/// requests ahead of it will, by the measured service time and how long the running ones have already run, be
/// done within `maxQueueDelay`; otherwise (or when `maxWaiting` wait already, or a waiter is not admitted within
/// `maxWait`) it is answered 503 with Retry-After at once. Refusing early is what keeps the accepted requests
/// fast under overload: a queue of eight 0.13 s requests made every accepted one wait about a second, and even a
/// queue of one doubles the latency (scripts/overload.sh, issue 17). A short budget still lets a request in
/// when the running one is about to finish, so the slot does not sit idle until the next arrival.
actor SamplingGate {
    enum Refusal: Error { case queueFull, timedOut }

    let maxConcurrent: Int
    let maxWaiting: Int
    let maxWait: Duration
    let maxQueueDelay: Duration
    private var running = 0
    /// When each running request was admitted, oldest first.
    private var runningSince: [ContinuousClock.Instant] = []
    private var waiters: [(id: Int, continuation: CheckedContinuation<Bool, Never>)] = []
    private var nextID = 0
    /// Moving average of how long a request holds its slot (nil until one has finished).
    private(set) var serviceTime: Duration?
    private let clock = ContinuousClock()

    init(maxConcurrent: Int, maxWaiting: Int, maxWait: Duration, maxQueueDelay: Duration = .seconds(30)) {
        self.maxConcurrent = maxConcurrent
        self.maxWaiting = maxWaiting
        self.maxWait = maxWait
        self.maxQueueDelay = maxQueueDelay
    }

    /// Waits for a slot and returns the moment it was granted. Every successful `enter()` must be paired with
    /// `leave(since:)`, passing that moment.
    func enter() async throws(Refusal) -> ContinuousClock.Instant {
        if running < maxConcurrent {
            running += 1
            let now = clock.now
            runningSince.append(now)
            return now
        }
        guard waiters.count < maxWaiting, expectedWait(behind: waiters.count) <= maxQueueDelay else { throw .queueFull }
        let id = nextID
        nextID += 1
        let limit = maxWait
        Task { [weak self] in
            try? await Task.sleep(for: limit)
            await self?.expire(id)
        }
        let admitted = await withCheckedContinuation { continuation in waiters.append((id, continuation)) }
        guard admitted else { throw .timedOut }
        let now = clock.now
        runningSince.append(now)
        return now
    }

    /// How long a request that finds `ahead` others waiting will wait: what is left of the oldest running
    /// request by the measured service time (at least nothing), then one service time per `maxConcurrent`
    /// waiters ahead. Zero until a request has been timed, so the first ones are never refused for a guess.
    func expectedWait(behind ahead: Int) -> Duration {
        guard let serviceTime else { return .zero }
        let elapsed = runningSince.first.map { $0.duration(to: clock.now) } ?? .zero
        let remaining = max(.zero, serviceTime - elapsed)
        return remaining + serviceTime * (ahead / maxConcurrent)
    }

    /// Frees a slot, handing it straight to the longest waiter if there is one, and updates the service time.
    func leave(since start: ContinuousClock.Instant) {
        let held = start.duration(to: clock.now)
        serviceTime = serviceTime.map { $0 * 0.8 + held * 0.2 } ?? held
        if let index = runningSince.firstIndex(of: start) { runningSince.remove(at: index) }
        if waiters.isEmpty {
            running -= 1
        } else {
            waiters.removeFirst().continuation.resume(returning: true)
        }
    }

    private func expire(_ id: Int) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).continuation.resume(returning: false)
    }

    var queueLength: Int { waiters.count }
}
