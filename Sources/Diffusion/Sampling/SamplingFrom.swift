import TensorCore

/// Sampling that does not start from pure noise at t = T - 1: the reverse process from a given x_t (SDEdit,
/// the noise found by DDIM inversion, inpainting), over a given list of timesteps, with a hook after each step.
/// `sampleImages` (SamplingLoop.swift) is the special case x_T ~ N(0, I) over the sampler's own timesteps.
/// Explained in Chapters/06-Guidance.md ("Editing").
public enum PartialSampling {
    /// N timesteps from `start` down, spaced as DPM-Solver++'s "linspace": round(linspace(0, start, N + 1)),
    /// largest first, the final 0 dropped (the step after the last one lands on the clean image), repeats
    /// removed (more steps than timesteps). E.g. start 499, 5 steps: 499, 399, 299, 200, 100.
    /// start = 0 gives [0]: one step from t = 0 to the clean image.
    public static func timesteps(from start: Int, steps: Int) -> [Int] {
        precondition(start >= 0 && steps >= 1, "PartialSampling.timesteps: start \(start), steps \(steps)")
        if start == 0 { return [0] }
        let grid = (0...steps).map { Int((Double(start) * Double($0) / Double(steps)).rounded(.toNearestOrEven)) }
        var list: [Int] = []
        for t in grid.reversed().dropLast() where t > 0 && list.last != t { list.append(t) }
        return list
    }

    /// A sampler that visits exactly `timesteps` (decreasing), for any of the three kinds: DPM-Solver++ over
    /// those timesteps, DDIM over them (eta from the settings), and DDPM as DDIM with eta = 1 over every timestep
    /// from the first down (DDIM at eta 1 with consecutive timesteps is DDPM with the posterior variance).
    public static func sampler(_ settings: SamplingSettings, schedule: NoiseSchedule, timesteps: [Int]) -> any Sampler {
        let x0 = settings.thresholding.x0Processing
        switch settings.sampler {
        case .dpmSolver:
            return DPMSolverSampler(schedule: schedule, timesteps: timesteps, order: settings.order, x0Processing: x0)
        case .ddim:
            return DDIMStepper(schedule: schedule, timesteps: timesteps, eta: settings.eta, x0Processing: x0)
        case .ddpm:
            return DDIMStepper(schedule: schedule, timesteps: Array((0...(timesteps.first ?? 0)).reversed()), eta: 1, x0Processing: x0)
        }
    }

    /// Runs the reverse process from `start` = x_t at `sampler.timesteps[0]`, with no autodiff graph.
    ///
    ///     for t in sampler.timesteps:  eps = model(x_t, t [, c]);  x_{t'} = sampler.step(eps, t, x_t);  x_{t'} = afterStep(i, x_{t'})
    ///
    /// - start: `[N, C, H, W]`; labels: N classes for a conditional model (nil otherwise).
    /// - afterStep: called with the step's index and the new sample; what it returns is the sample carried on
    ///   (inpainting puts the known pixels back here).
    /// - returns: the clean images `[N, C, H, W]`.
    public static func denoise(model: some DenoisingModel, sampler: any Sampler, from start: Tensor, labels: [Int]? = nil,
                               guidance: ClassifierFreeGuidance? = nil, rng: inout SeededGenerator,
                               afterStep: ((Int, Tensor) -> Tensor)? = nil, progress: ((Int, Int) -> Void)? = nil) -> Tensor {
        let wasTraining = model.isTraining
        model.eval()
        defer { model.train(wasTraining) }
        let pool = StoragePool()
        let shape = start.shape
        return withoutGrad {
            var x = start
            var sampler = sampler
            let steps = sampler.timesteps
            for (i, t) in steps.enumerated() {
                let eps: Tensor = StoragePool.$current.withValue(pool) { predictNoise(model, x: x, t: t, labels: labels, guidance: guidance) }
                let noise = sampler.isStochastic && t > 0 ? Tensor.randomNormal(shape, using: &rng) : nil
                x = sampler.step(eps: eps, t: t, sample: x, noise: noise).prevSample
                if let afterStep { x = afterStep(i, x) }
                progress?(i + 1, steps.count)
            }
            return x
        }
    }

    /// eps(x_t, t [, c]), guided when `guidance` and `labels` are given. x: `[N, C, H, W]` -> `[N, C, H, W]`.
    public static func predictNoise(_ model: some DenoisingModel, x: Tensor, t: Int, labels: [Int]?,
                                    guidance: ClassifierFreeGuidance?) -> Tensor {
        if let guidance, let labels { return guidance.predictNoise(model, x: x, t: t, labels: labels) }
        return model(x, timesteps: Array(repeating: Float(t), count: x.shape[0]), classLabels: labels)
    }
}

/// DDIM (Song et al. 2021, eq. 12) over any decreasing list of timesteps: from t to the next one in the list,
/// and from the last to the clean image (alphabar = 1). `DDIMSampler` is the special case of evenly spaced
/// ("leading") timesteps; this one also serves inpainting, which steps between arbitrary pairs.
public struct DDIMStepper: Sampler {
    public let schedule: NoiseSchedule
    public let timesteps: [Int]
    public var eta: Float
    public var x0Processing: X0Processing
    private var index = 0

    public init(schedule: NoiseSchedule, timesteps: [Int], eta: Float = 0, x0Processing: X0Processing = .clip) {
        precondition(!timesteps.isEmpty && zip(timesteps, timesteps.dropFirst()).allSatisfy { $0 > $1 }
                     && timesteps.allSatisfy { (0..<schedule.steps).contains($0) },
                     "DDIMStepper: timesteps must be decreasing and in 0..<\(schedule.steps)")
        self.schedule = schedule
        self.timesteps = timesteps
        self.eta = eta
        self.x0Processing = x0Processing
    }

    public var isStochastic: Bool { eta > 0 }

    /// One step at `t`, the next of `timesteps`.
    public mutating func step(eps: Tensor, t: Int, sample: Tensor, noise: Tensor?) -> (prevSample: Tensor, predictedX0: Tensor) {
        precondition(index < timesteps.count && timesteps[index] == t, "DDIMStepper: step \(index) must be at \(timesteps[min(index, timesteps.count - 1)]), got \(t)")
        let next = index + 1 < timesteps.count ? timesteps[index + 1] : nil
        index += 1
        return step(eps: eps, from: t, to: next, sample: sample, noise: noise)
    }

    /// One step from timestep t to `next` (nil: the clean image). eps, sample, noise: `[N, C, H, W]`.
    public func step(eps: Tensor, from t: Int, to next: Int?, sample: Tensor, noise: Tensor?) -> (prevSample: Tensor, predictedX0: Tensor) {
        let alphaBar = schedule.alphasCumprod[t]
        let alphaBarPrev = next.map { schedule.alphasCumprod[$0] } ?? 1
        // x0hat = (x_t - sqrt(1 - alphabar_t) eps) / sqrt(alphabar_t)
        let x0 = x0Processing.apply((sample - eps * (1 - alphaBar).squareRoot()) / alphaBar.squareRoot())
        // eps consistent with the processed x0hat (as DDIMSampler's useClippedModelOutput)
        let e = x0Processing == .none ? eps : (sample - x0 * alphaBar.squareRoot()) / (1 - alphaBar).squareRoot()
        // sigma_t = eta sqrt((1 - alphabar_{t'}) / (1 - alphabar_t)) sqrt(1 - alphabar_t / alphabar_{t'})   (eq. 16)
        let sigma = eta * ((1 - alphaBarPrev) / (1 - alphaBar) * (1 - alphaBar / alphaBarPrev)).squareRoot()
        // x_{t'} = sqrt(alphabar_{t'}) x0hat + sqrt(1 - alphabar_{t'} - sigma_t^2) eps + sigma_t z
        var prev = x0 * alphaBarPrev.squareRoot() + e * Swift.max(1 - alphaBarPrev - sigma * sigma, 0).squareRoot()
        if sigma > 0, let noise { prev = prev + noise * sigma }
        return (prev, x0)
    }
}

extension DPMSolverSampler {
    /// DPM-Solver++ over given timesteps (decreasing), the step after the last landing on the clean image:
    /// what SDEdit needs to solve from t0 = sT down rather than from T - 1.
    public init(schedule: NoiseSchedule, timesteps: [Int], order: Int = 2, x0Processing: X0Processing = .none) {
        precondition(!timesteps.isEmpty && zip(timesteps, timesteps.dropFirst()).allSatisfy { $0 > $1 }
                     && timesteps.allSatisfy { (0..<schedule.steps).contains($0) },
                     "DPMSolverSampler: timesteps must be decreasing and in 0..<\(schedule.steps)")
        precondition(order == 1 || order == 2, "DPMSolverSampler: order must be 1 or 2, got \(order)")
        self.schedule = schedule
        self.inferenceSteps = timesteps.count
        self.order = order
        self.x0Processing = x0Processing
        self.timesteps = timesteps
        // sigma^VE_t = sqrt((1 - alphabar_t) / alphabar_t), then 0 (the clean image)
        sigmas = timesteps.map { ((1 - schedule.alphasCumprod[$0]) / schedule.alphasCumprod[$0]).squareRoot() } + [0]
    }
}
