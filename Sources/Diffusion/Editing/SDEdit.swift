import TensorCore

/// SDEdit (Meng et al. 2022, "SDEdit: Guided Image Synthesis and Editing with Stochastic Differential
/// Equations"): noise a picture part of the way, to t0 = sT, and run the reverse process from there,
/// conditioned on the class wanted. The noise drowns the details (the exact pixels, a wobble of the pen) but
/// not the coarse layout (where the ink is, how thick, which way it leans), so the result is a clean digit of
/// the class asked for that keeps the picture's layout: more of it the smaller s.
///
///     x_{t0} = sqrt(alphabar_{t0}) x + sqrt(1 - alphabar_{t0}) eps,   eps ~ N(0, I)      (q_sample at t0)
///     x_0 = reverse process from x_{t0} over t0 > ... > 0, conditioned on c
///
/// As diffusers' `StableDiffusionImg2ImgPipeline`, but with the solver's steps spent on t0...0 rather than
/// strength x steps taken from the full grid (so 10 steps at s = 0.3 are still 10 steps).
/// Explained in Chapters/06-Guidance.md ("SDEdit").
public enum SDEdit {
    /// t0 for strength s in (0, 1]: round(s T) - 1, so s = 1 starts at t = T - 1 (pure noise to the model).
    public static func startTimestep(strength: Float, timesteps: Int) -> Int {
        max(0, min(timesteps - 1, Int((strength * Float(timesteps)).rounded()) - 1))
    }

    /// Model calls of an edit at strength s: the solver's steps over t0...0 (DDPM: every one of them).
    public static func stepCount(strength: Float, settings: SamplingSettings, timesteps: Int) -> Int {
        let t0 = startTimestep(strength: strength, timesteps: timesteps)
        return settings.sampler == .ddpm ? t0 + 1 : PartialSampling.timesteps(from: t0, steps: settings.steps).count
    }

    /// Edits each image toward its label.
    /// - images: `[N, 1, H, W]` in [-1, 1]; labels: N classes, `nil` entries meaning the null class (the model's
    ///   unconditional prediction: "clean it up as whatever it is").
    /// - settings: sampler, steps (over t0...0) and guidance w. Same seed, same result.
    /// - returns: `[N, 1, H, W]` in about [-1, 1].
    public static func edit(_ trained: TrainedModel, images: Tensor, labels: [Int?], strength: Float,
                            settings: SamplingSettings = .defaults, seed: UInt64,
                            progress: ((Int, Int) -> Void)? = nil) throws(EditingError) -> Tensor {
        guard strength.isFinite && strength > 0 && strength <= 1 else { throw .strength(strength) }
        let classes = try checkedLabels(trained, images: images, labels: labels)
        do { try settings.validate(timesteps: trained.schedule.steps) } catch { throw .sampling(error) }
        let t0 = startTimestep(strength: strength, timesteps: trained.schedule.steps)
        var rng = SeededGenerator(seed: seed)
        // x_{t0} = sqrt(alphabar_{t0}) x + sqrt(1 - alphabar_{t0}) eps
        let noise = Tensor.randomNormal(images.shape, using: &rng)
        let xt = trained.schedule.qSample(x0: images, t: Array(repeating: t0, count: images.shape[0]), noise: noise)
        let sampler = PartialSampling.sampler(settings, schedule: trained.schedule,
                                              timesteps: PartialSampling.timesteps(from: t0, steps: settings.steps))
        return PartialSampling.denoise(model: trained.model, sampler: sampler, from: xt, labels: classes,
                                       guidance: trained.guidance(settings), rng: &rng, progress: progress)
    }

    /// The labels with nil replaced by the null class, after checking count and range.
    static func checkedLabels(_ trained: TrainedModel, images: Tensor, labels: [Int?]) throws(EditingError) -> [Int]? {
        guard images.rank == 4, images.shape[0] == labels.count, images.shape[0] >= 1 else {
            throw .shape("\(labels.count) labels for images of shape \(images.shape)")
        }
        let size = trained.recipe.model.sampleSize
        guard Array(images.shape.dropFirst()) == [trained.recipe.model.inChannels, size, size] else {
            throw .shape("images of shape \(images.shape); this model edits [N, \(trained.recipe.model.inChannels), \(size), \(size)]")
        }
        guard trained.isConditional, let null = trained.recipe.nullClass else { return nil }
        var out: [Int] = []
        for label in labels {
            if let label, !(0..<trained.classCount).contains(label) { throw .label(label, classes: trained.classCount) }
            out.append(label ?? null)
        }
        return out
    }
}

extension TrainedModel {
    /// Classifier-free guidance at the settings' scale, for a model trained with a null class (else nil).
    func guidance(_ settings: SamplingSettings) -> ClassifierFreeGuidance? {
        recipe.nullClass.map { ClassifierFreeGuidance(scale: settings.guidance, nullClass: $0, interval: settings.guidanceInterval) }
    }
}
