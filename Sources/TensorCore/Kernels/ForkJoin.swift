import Foundation
import Synchronization

/// Two-way fork-join for the kernels' parallel regions, with a helper thread that waits for work spinning
/// instead of sleeping, as OpenMP's workers do.
///
/// `DispatchQueue.concurrentPerform` hands the second half of a region to a pool thread that is usually asleep;
/// waking it costs tens of microseconds on a virtual machine. The small products of a sampling pass (a 32 x
/// 576 x 784 convolution GEMM is 29 MFLOP, about 0.15 ms on one core) then gain nothing from the second core:
/// measured on a 2-core Xeon VM, 98-162 GFLOPS on two cores against 108-111 on one. Here the helper spins
/// for `spinSeconds` after each region, so back-to-back regions find it awake, and then sleeps on a semaphore.
///
/// One region at a time: a call made while another is running (nested, or from another thread) runs both
/// halves on its own thread, in order. Results never depend on which thread ran which half.
final class ForkJoin: @unchecked Sendable {
    /// The helper of the process, started on first use.
    static let shared = ForkJoin()

    /// How long the helper keeps spinning after a region before it sleeps.
    static let spinSeconds = 0.000_2

    /// 0: idle, 1: work posted, 3: the helper is running it, 2: work done.
    private let state = Atomic<Int>(0)
    private let owned = Atomic<Bool>(false)
    private let sleeping = Atomic<Bool>(false)
    private let wake = DispatchSemaphore(value: 0)
    /// Written by the owner before `state` becomes 1, read by the helper after it sees 1.
    private var job: (() -> Void)?

    private init() {
        let thread = Thread { [unowned self] in self.helperLoop() }
        thread.name = "TensorCore.ForkJoin"
        thread.qualityOfService = .userInitiated
        thread.start()
    }

    /// Runs `first` on the calling thread and `second` on the helper, and returns when both are done.
    func run(_ first: () -> Void, _ second: () -> Void) {
        guard owned.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            first()
            second()
            return
        }
        withoutActuallyEscaping(second) { second in
            job = second
            state.store(1, ordering: .sequentiallyConsistent)
            if sleeping.load(ordering: .sequentiallyConsistent) { wake.signal() }
            first()
            // A helper that has not picked the work up yet (asleep) is not waited for: take it back.
            if state.compareExchange(expected: 1, desired: 0, ordering: .acquiringAndReleasing).exchanged {
                second()
            } else {
                while state.load(ordering: .acquiring) != 2 {}
                state.store(0, ordering: .relaxed)
            }
            job = nil
        }
        owned.store(false, ordering: .releasing)
    }

    private func helperLoop() {
        var clock = ContinuousClock.now
        var spins = 0
        while true {
            if state.load(ordering: .relaxed) == 1,
               state.compareExchange(expected: 1, desired: 3, ordering: .acquiringAndReleasing).exchanged {
                job?()
                state.store(2, ordering: .releasing)
                clock = ContinuousClock.now
                spins = 0
                continue
            }
            spins += 1
            // Reading the clock costs more than a spin: look at it now and then.
            if spins & 255 == 0, ContinuousClock.now - clock > .seconds(Self.spinSeconds) {
                sleeping.store(true, ordering: .sequentiallyConsistent)
                // The owner posts work, then looks at `sleeping`; we announce sleep, then look at the work:
                // one of the two sees the other's store, so no wake-up is lost.
                if state.load(ordering: .sequentiallyConsistent) != 1 { wake.wait() }
                sleeping.store(false, ordering: .sequentiallyConsistent)
                clock = ContinuousClock.now
                spins = 0
            }
        }
    }
}

extension Parallel {
    /// `body(i)` for i in 0..<count, i = 0 and 1 concurrently (`ForkJoin`); the kernels split work for at most
    /// `cores` (2) threads, and any further i run after them on the calling thread.
    /// `body` must only write memory that belongs to its own i.
    static func perform(_ count: Int, _ body: (Int) -> Void) {
        guard count >= 2 else {
            if count == 1 { body(0) }
            return
        }
        ForkJoin.shared.run({ body(0) }, { body(1) })
        for i in 2..<count { body(i) }
    }
}
