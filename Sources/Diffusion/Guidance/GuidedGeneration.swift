import TensorCore

extension TrainedModel {
    /// What the network is asked for while a guide steers it.
    public enum Conditioning: Sendable, Equatable {
        /// The class asked for, with classifier-free guidance at the settings' w.
        case classes
        /// The null class (label dropout trained it as the unconditional model); an unconditional model: nothing.
        case unconditional
    }

    /// Samples one image per entry of `classes` with `sampleGuided`, in batches of at most `batch` (batch b starts
    /// from seed `seed + its first index`, as `generateInBatches`, so the same seed gives the same starting noise
    /// with and without a guide).
    /// - makeGuide: the guide for one batch's classes (nil: no guide).
    /// - progress: (steps done, steps in all) over every batch.
    /// - returns: `[classes.count, C, H, W]` in about [-1, 1]
    public func generateGuided(classes: [Int], conditioning: Conditioning, settings: SamplingSettings = .defaults, seed: UInt64,
                               batch: Int = sampleBatch, makeGuide: ([Int]) -> (any SamplingGuide)?,
                               progress: ((Int, Int) -> Void)? = nil) throws(SamplingError) -> Tensor {
        precondition(batch >= 1 && !classes.isEmpty, "generateGuided: batch must be at least 1 and classes not empty")
        try settings.validate(timesteps: schedule.steps)
        let total = settings.stepCount(timesteps: schedule.steps)
        let starts = Array(stride(from: 0, to: classes.count, by: batch))
        let size = recipe.model.sampleSize
        var parts: [Tensor] = []
        for (index, start) in starts.enumerated() {
            let chunk = Array(classes[start..<min(start + batch, classes.count)])
            var rng = SeededGenerator(seed: seed &+ UInt64(start))
            let labels: [Int]?, cfg: ClassifierFreeGuidance?
            switch conditioning {
            case .classes:
                precondition(isConditional, "generateGuided: .classes needs a class-conditional model")
                labels = chunk
                cfg = recipe.nullClass.map { ClassifierFreeGuidance(scale: settings.guidance, nullClass: $0, interval: settings.guidanceInterval) }
            case .unconditional:
                labels = recipe.nullClass.map { Array(repeating: $0, count: chunk.count) }
                cfg = nil
            }
            let sampler = try settings.makeSampler(schedule: schedule)
            parts.append(sampleGuided(model: model, sampler: sampler, schedule: schedule, shape: [chunk.count, recipe.model.inChannels, size, size],
                                      labels: labels, cfg: cfg, guide: makeGuide(chunk), rng: &rng) { done, _ in
                progress?(index * total + done, total * starts.count)
            })
        }
        return Tensor.concat(parts, axis: 0)
    }
}
