import Foundation

/// Sampling is CPU-bound and both cores serve one request at a time best, so requests pass a gate:
/// at most `maxConcurrent` run, at most `maxWaiting` wait, and a waiter that is not admitted within
/// `maxWait` gives up. A full queue or a timed-out wait is answered 503 with Retry-After.
actor SamplingGate {
    enum Refusal: Error { case queueFull, timedOut }

    let maxConcurrent: Int
    let maxWaiting: Int
    let maxWait: Duration
    private var running = 0
    private var waiters: [(id: Int, continuation: CheckedContinuation<Bool, Never>)] = []
    private var nextID = 0

    init(maxConcurrent: Int, maxWaiting: Int, maxWait: Duration) {
        self.maxConcurrent = maxConcurrent
        self.maxWaiting = maxWaiting
        self.maxWait = maxWait
    }

    /// Waits for a slot. Every successful `enter()` must be paired with `leave()`.
    func enter() async throws(Refusal) {
        if running < maxConcurrent {
            running += 1
            return
        }
        guard waiters.count < maxWaiting else { throw .queueFull }
        let id = nextID
        nextID += 1
        let limit = maxWait
        Task { [weak self] in
            try? await Task.sleep(for: limit)
            await self?.expire(id)
        }
        let admitted = await withCheckedContinuation { continuation in waiters.append((id, continuation)) }
        guard admitted else { throw .timedOut }
    }

    /// Frees a slot, handing it straight to the longest waiter if there is one.
    func leave() {
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
