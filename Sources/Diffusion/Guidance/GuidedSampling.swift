import TensorCore

/// A per-step hook of the guided sampling loop (`sampleGuided`): it sees x_t before the sampler's step and returns
/// the x_t the sampler steps from and the eps it steps with. Guidance by a loss moves x_t; classifier guidance
/// changes eps; both are this one hook.
/// Explained in Chapters/06-Guidance.md.
public protocol SamplingGuide {
    /// - x: x_t `[N, C, H, W]` (no autodiff history); t: the timestep; schedule: the model's alphabar_t.
    /// - predictNoise: the network's eps for a batch like x (classifier-free guided if the loop was given it);
    ///   it records the autodiff graph when called with recording on and an input that requires grad.
    /// - returns: (x_t to step from, eps to step with), both `[N, C, H, W]` and without autodiff history.
    func guide(x: Tensor, t: Int, schedule: NoiseSchedule, predictNoise: (Tensor) -> Tensor) -> (x: Tensor, eps: Tensor)
}

/// The network's estimate of the clean image from x_t and its noise prediction (Ho et al. eq. 15, Guide.md's x0hat):
///   x0hat = (x_t - sqrt(1 - alphabar_t) eps) / sqrt(alphabar_t)
/// Differentiable in both x and eps. x, eps: `[N, C, H, W]` -> `[N, C, H, W]`.
public func predictedX0(x: Tensor, eps: Tensor, t: Int, schedule: NoiseSchedule) -> Tensor {
    (x - eps * schedule.sqrtOneMinusAlphasCumprod[t]) * (1 / schedule.sqrtAlphasCumprod[t])
}

/// The sampling loop of `sampleImages` (Sources/Diffusion/Sampling/SamplingLoop.swift) with a guide called at
/// every step:
///
///     x_T ~ N(0, I)
///     for t in sampler.timesteps:  (x_t, eps) = guide(x_t, t, model);  x_{t'} = sampler.step(eps, t, x_t)
///
/// With no guide it draws exactly what `sampleImages` draws from the same generator.
/// - shape: `[N, C, H, W]`; labels: the network's classes (nil for an unconditional model; the null class for
///   "no class"); cfg: classifier-free guidance of the network (nil: its plain output).
/// - progress: called after each step with (done, total).
/// - returns: `[N, C, H, W]`
public func sampleGuided(model: some DenoisingModel, sampler: any Sampler, schedule: NoiseSchedule, shape: [Int], labels: [Int]? = nil,
                         cfg: ClassifierFreeGuidance? = nil, guide: (any SamplingGuide)?, rng: inout SeededGenerator,
                         progress: ((Int, Int) -> Void)? = nil) -> Tensor {
    let wasTraining = model.isTraining
    model.eval()
    defer { model.train(wasTraining) }
    func predictNoise(_ x: Tensor, _ t: Int) -> Tensor {
        if let cfg, let labels { return cfg.predictNoise(model, x: x, t: t, labels: labels) }
        return model(x, timesteps: Array(repeating: Float(t), count: x.shape[0]), classLabels: labels)
    }
    var x = withoutGrad { Tensor.randomNormal(shape, using: &rng) }
    var sampler = sampler
    let steps = sampler.timesteps
    for (i, t) in steps.enumerated() {
        let guided: (x: Tensor, eps: Tensor)
        if let guide {
            let current = x
            guided = guide.guide(x: current, t: t, schedule: schedule) { predictNoise($0, t) }
            // Gradients through the network land in its parameters too; drop them, they are not used.
            model.zeroGrad()
        } else {
            let current = x
            guided = (current, withoutGrad { predictNoise(current, t) })
        }
        x = withoutGrad {
            let noise = sampler.isStochastic && t > 0 ? Tensor.randomNormal(shape, using: &rng) : nil
            return sampler.step(eps: guided.eps.detached, t: t, sample: guided.x.detached, noise: noise).prevSample
        }
        progress?(i + 1, steps.count)
    }
    return x
}
