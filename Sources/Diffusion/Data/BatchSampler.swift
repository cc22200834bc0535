/// Splits `0..<count` into mini-batches of indices, epoch after epoch, optionally shuffled.
///
/// The order depends only on the seed (and the epoch number), never on the system random generator, so a
/// training run can be repeated exactly:
/// ```swift
/// var sampler = BatchSampler(count: train.count, batchSize: 128, shuffle: true, seed: 42)
/// for batch in sampler.nextEpoch() { let x = train.pixels(indices: batch, range: .minusOneToOne) ... }
/// ```
public struct BatchSampler: Sendable {
    /// The number of items indexed.
    public let count: Int
    /// Items per batch (the last batch of an epoch may be smaller unless `dropLast`).
    public let batchSize: Int
    /// Whether each epoch visits the items in a fresh random order.
    public let shuffle: Bool
    /// Whether to drop an incomplete final batch.
    public let dropLast: Bool
    /// The number of epochs handed out so far.
    public private(set) var epoch = 0

    private var generator: SplitMix64

    /// - Precondition: `count >= 0` and `batchSize > 0` (validate user input before calling).
    public init(count: Int, batchSize: Int, shuffle: Bool = true, seed: UInt64 = 0, dropLast: Bool = false) {
        precondition(count >= 0, "BatchSampler: count must not be negative (got \(count))")
        precondition(batchSize > 0, "BatchSampler: batchSize must be positive (got \(batchSize))")
        self.count = count
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.dropLast = dropLast
        self.generator = SplitMix64(seed: seed)
    }

    /// The number of batches in one epoch.
    public var batchesPerEpoch: Int {
        dropLast ? count / batchSize : (count + batchSize - 1) / batchSize
    }

    /// The next epoch: ``batchesPerEpoch`` arrays of indices covering `0..<count` once (minus the dropped tail).
    public mutating func nextEpoch() -> [[Int]] {
        var order = Array(0..<count)
        if shuffle {
            // Fisher-Yates: swap each position with a uniformly chosen one at or before it.
            for i in stride(from: count - 1, to: 0, by: -1) {
                order.swapAt(i, generator.next(below: i + 1))
            }
        }
        epoch += 1
        return (0..<batchesPerEpoch).map { batch in
            Array(order[(batch * batchSize)..<min(count, (batch + 1) * batchSize)])
        }
    }
}
