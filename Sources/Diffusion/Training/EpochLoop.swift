import Foundation
import TensorCore

/// How long to train: whole epochs or a number of steps, and optionally a time budget (whichever ends first).
public struct TrainingBudget: Sendable {
    public var epochs: Int
    /// When given, train this many optimizer steps in all instead of `epochs` (counted from step 0, so a resumed
    /// run stops at the same place).
    public var steps: Int?
    public var minutes: Double?
    /// Use only the first `limit` training images (quick experiments, tests).
    public var limit: Int?
    /// The steps were planned from `minutes`: revise the plan as the run goes, so that it ends at the deadline
    /// with its schedule complete (`TimeBudgetPlan`).
    public var revisesPlan: Bool

    public init(epochs: Int, steps: Int? = nil, minutes: Double? = nil, limit: Int? = nil, revisesPlan: Bool = false) {
        self.epochs = epochs
        self.steps = steps
        self.minutes = minutes
        self.limit = limit
        self.revisesPlan = revisesPlan
    }
}

/// Training was asked to run on fewer images than one batch (e.g. `--limit 8` with a batch of 128): no step
/// could be taken. (`--limit`, `--batch-size` and `--accumulate` are the user's; this is their error, not a trap.)
public struct TooFewImagesError: Error, CustomStringConvertible, Equatable {
    public let images: Int
    public let batchSize: Int
    public var description: String {
        "\(images) training images make no batch of \(batchSize) (--batch-size, times --accumulate where it applies): "
            + "raise --limit or lower --batch-size"
    }
}

/// What one epoch of training did.
public struct EpochSummary: Sendable, Codable {
    public var epoch: Int
    public var meanLoss: Float
    public var steps: Int
    public var seconds: Double
    public var imagesPerSecond: Double
}

extension MNIST {
    /// A batch as a tensor `[N, channels, rows, cols]` in `range`, with its labels.
    public func batch(_ indices: [Int], range: PixelRange) -> (images: Tensor, labels: [Int]) {
        (Tensor(shape: [indices.count, channels, rows, cols], scalars: pixels(indices: indices, range: range)), labels(indices: indices))
    }
}

/// Runs `trainStep` over shuffled batches of `data` for the budget, with a progress bar (step, img/s, loss,
/// ETA). Batches are deterministic from `seed`: epoch e always visits the same order, so a run resumed at
/// global step `startStep` skips exactly the batches already seen and continues identically.
/// Returns one summary per epoch (the last may be partial when the time budget ends it).
/// - revised: with `budget.revisesPlan`, told each new total of a `TimeBudgetPlan` revision.
/// - clock: seconds, for the deadline and the plan's pace (tests pass their own; default the system clock).
public func runEpochs(data: MNIST, batchSize: Int, budget: TrainingBudget, seed: UInt64, range: PixelRange,
                      startStep: Int = 0, label: String = "train", revised: ((Int) -> Void)? = nil,
                      clock: (() -> Double)? = nil,
                      trainStep: (_ images: Tensor, _ labels: [Int]) throws -> Float) throws -> [EpochSummary] {
    let count = min(budget.limit ?? data.count, data.count)
    var sampler = BatchSampler(count: count, batchSize: batchSize, shuffle: true, seed: seed, dropLast: true)
    let perEpoch = sampler.batchesPerEpoch
    guard perEpoch > 0 else { throw TooFewImagesError(images: count, batchSize: batchSize) }
    var totalSteps = budget.steps ?? perEpoch * budget.epochs
    let now = clock ?? { Date().timeIntervalSinceReferenceDate }
    let deadline = budget.minutes.map { now() + $0 * 60 }
    var plan = budget.revisesPlan ? budget.minutes.map { TimeBudgetPlan(total: totalSteps, startStep: startStep, start: now(), seconds: $0 * 60) } : nil
    var summaries: [EpochSummary] = []
    var step = startStep
    let progress = ProgressBar(total: totalSteps, label: label, itemsPerStep: batchSize)
    progress.update(step: step)
    var epoch = 0
    while step < totalSteps {
        defer { epoch += 1 }
        let batches = sampler.nextEpoch()
        guard step < (epoch + 1) * perEpoch else { continue }   // finished before the resume point
        let started = Date()
        var lossSum: Float = 0, steps = 0
        for (i, indices) in batches.enumerated() where epoch * perEpoch + i >= step {
            if let deadline, now() >= deadline { break }
            if step >= totalSteps { break }
            let (images, labels) = data.batch(indices, range: range)
            let loss = try trainStep(images, labels)
            lossSum += loss
            steps += 1
            step += 1
            if let total = plan?.revise(step: step, now: now()) {
                totalSteps = total
                progress.total = total
                revised?(total)
            }
            let epochs = (totalSteps + perEpoch - 1) / perEpoch
            progress.update(step: step, metrics: [("loss", String(format: "%.4f", loss)), ("epoch", "\(epoch + 1)/\(epochs)")])
        }
        let seconds = Date().timeIntervalSince(started)
        if steps > 0 {
            summaries.append(EpochSummary(epoch: epoch + 1, meanLoss: lossSum / Float(steps), steps: steps, seconds: seconds,
                                          imagesPerSecond: Double(steps * batchSize) / max(seconds, 1e-9)))
        }
        if let deadline, now() >= deadline { break }
    }
    progress.finish()
    return summaries
}
