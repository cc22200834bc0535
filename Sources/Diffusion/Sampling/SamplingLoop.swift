import TensorCore

/// What to record while sampling.
public struct SamplingTrajectory: Sendable {
    /// (timestep, x_t before the step, predicted x_0) at the recorded steps.
    public var frames: [(t: Int, sample: Tensor, predictedX0: Tensor)] = []
}

/// Runs the reverse process from pure noise to images, with no autodiff graph (sampling runs thousands of
/// forward passes and must not build or keep one).
///
///     x_T ~ N(0, I)
///     for t in sampler.timesteps:  eps = model(x_t, t [, c]);  x_{t'} = sampler.step(eps, t, x_t)
///
/// - shape: `[N, C, H, W]` of the batch; labels: N classes for a conditional model (nil otherwise);
///   guidance: classifier-free guidance (nil: plain model output).
/// - recordEvery: keep x_t and x0hat every this many steps (0: none), plus the last step.
/// - progress: called after each step with (done, total).
/// Explained in Chapters/03-DDPM.md.
public func sampleImages(model: some DenoisingModel, sampler: any Sampler, shape: [Int], labels: [Int]? = nil,
                         guidance: ClassifierFreeGuidance? = nil, rng: inout SeededGenerator, recordEvery: Int = 0,
                         progress: ((Int, Int) -> Void)? = nil) -> (images: Tensor, trajectory: SamplingTrajectory) {
    let wasTraining = model.isTraining
    model.eval()
    defer { model.train(wasTraining) }
    let pool = StoragePool()
    return withoutGrad {
        var x = Tensor.randomNormal(shape, using: &rng)
        var trajectory = SamplingTrajectory()
        var sampler = sampler
        let steps = sampler.timesteps
        for (i, t) in steps.enumerated() {
            // The model's activations reuse the same memory at every step (see StoragePool).
            let eps: Tensor = StoragePool.$current.withValue(pool) {
                if let guidance, let labels {
                    return guidance.predictNoise(model, x: x, t: t, labels: labels)
                }
                return model(x, timesteps: Array(repeating: Float(t), count: shape[0]), classLabels: labels)
            }
            let noise = sampler.isStochastic && t > 0 ? Tensor.randomNormal(shape, using: &rng) : nil
            let (next, x0) = sampler.step(eps: eps, t: t, sample: x, noise: noise)
            if recordEvery > 0 && (i % recordEvery == 0 || i == steps.count - 1) {
                trajectory.frames.append((t, x, x0))
            }
            x = next
            progress?(i + 1, steps.count)
        }
        return (x, trajectory)
    }
}
