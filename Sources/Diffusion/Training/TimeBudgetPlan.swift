import Foundation

/// A time budget ("train for 15 minutes") as a step count that is revised while the run goes.
///
/// The run starts from a plan made by timing a few steps (`DiffusionTraining.secondsPerStep`). A shared or
/// busy machine then runs slower or faster than those steps promised. Left alone, the deadline would cut the
/// learning-rate decay short (a cosine schedule stopped at 80% still runs at a tenth of its peak), or the run
/// would end before its time was up. So every `every` steps the steps left are estimated again from the pace
/// of the run so far,
///
///     total = step + (deadline - now) / ((now - start) / (step - startStep))
///
/// and the schedule is stretched or shrunk to the new total: the run ends at the deadline with its decay
/// complete. Such a run is not repeatable step for step (its plan depends on the machine's pace);
/// `--train-steps` runs are.
public struct TimeBudgetPlan: Sendable, Equatable {
    /// Seconds (any origin, the same clock as `revise`'s `now`) when the run started and when it must end.
    public let start: Double
    public let deadline: Double
    /// The step the run started at (non-zero when resumed).
    public let startStep: Int
    /// Revise after every this many steps.
    public let every: Int
    /// The planned steps in all, counted from step 0.
    public private(set) var total: Int

    public init(total: Int, startStep: Int, start: Double, seconds: Double, every: Int = 50) {
        precondition(every >= 1, "TimeBudgetPlan: revise every 1 or more steps")
        self.total = total
        self.startStep = startStep
        self.start = start
        self.deadline = start + seconds
        self.every = every
    }

    /// After `step` steps at time `now`: the revised total when it is time to revise and the plan changed,
    /// else nil. Never less than one more step than done (the deadline, not the plan, stops a run out of time).
    public mutating func revise(step: Int, now: Double) -> Int? {
        let done = step - startStep
        guard done >= every, done % every == 0, now < deadline, now > start else { return nil }
        // seconds per step so far
        let pace = (now - start) / Double(done)
        let revised = step + max(1, Int(((deadline - now) / pace).rounded()))
        guard revised != total else { return nil }
        total = revised
        return revised
    }
}
