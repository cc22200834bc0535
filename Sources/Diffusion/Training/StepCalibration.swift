import Foundation
import TensorCore

extension DiffusionTraining {
    /// Seconds one optimizer step of `recipe` takes on this machine: one warm-up step, then the mean of `probe`
    /// timed steps on batches of `data` (assembled as the training loop does), on a throwaway run (no real run's weights or generators are touched). How a time budget
    /// ("train for 5 minutes") becomes a step count, so that two runs get the same number of steps and a run
    /// can be repeated exactly from its seed and step count on another machine.
    public static func secondsPerStep(recipe: DiffusionRecipe, data: MNIST, probe: Int = 5) throws -> Double {
        precondition(probe >= 1, "secondsPerStep: probe at least one step")
        var r = recipe
        r.steps = probe + 1
        let training = DiffusionTraining(recipe: r, stepsPerEpoch: probe + 1)
        let n = r.imagesPerStep
        let count = min(r.limit ?? data.count, data.count)
        guard count >= n else { throw TooFewImagesError(images: count, batchSize: n) }
        var sampler = BatchSampler(count: count, batchSize: n, shuffle: true, seed: r.seed, dropLast: true)
        var batches = sampler.nextEpoch()
        func step() throws {
            if batches.isEmpty { batches = sampler.nextEpoch() }
            let (images, labels) = data.batch(batches.removeLast(), range: .minusOneToOne)
            _ = try training.train(images: images, labels: labels)
        }
        try step()   // warm-up: first-touch allocations
        let start = Date()
        for _ in 0..<probe { try step() }
        return Date().timeIntervalSince(start) / Double(probe)
    }
}
