import TensorCore

/// DDIM inversion (Song et al. 2021, section 5.4 "the ODE can be solved in reverse"; Dhariwal & Nichol 2021,
/// appendix; the `ddim_loop` of Mokady et al.'s null-text inversion and diffusers' `DDIMInverseScheduler`).
/// DDIM at eta = 0 is a deterministic map from noise x_T to an image x_0; run backwards it finds the noise that
/// maps to a given image. Each step goes up, from t' to the next larger t, with the noise predicted at the
/// target timestep from the current sample (the one approximation: eps(x_{t'}, t) for eps(x_t, t)):
///
///     x0hat = (x_{t'} - sqrt(1 - alphabar_{t'}) eps) / sqrt(alphabar_{t'}),   eps = eps(x_{t'}, t [, c])
///     x_t   = sqrt(alphabar_t) x0hat + sqrt(1 - alphabar_t) eps
///
/// Sampling that noise again with the same class reconstructs the image (the closer, the more steps); with
/// another class it draws that class from the image's noise, which carries part of its style.
/// No x0hat clipping in either direction: clipping is not invertible.
/// Explained in Chapters/06-Guidance.md ("DDIM inversion").
public enum DDIMInversion {
    /// The timesteps both directions visit: `steps` of them from T - 1 down (as `PartialSampling.timesteps`).
    public static func timesteps(_ trained: TrainedModel, steps: Int) -> [Int] {
        PartialSampling.timesteps(from: trained.schedule.steps - 1, steps: steps)
    }

    /// Images -> their DDIM noise x_T.
    /// - images: `[N, 1, H, W]` in [-1, 1]; labels: each image's class (nil: the null class).
    /// - guidance: classifier-free guidance w during inversion (0 inverts the plain conditional model; larger w
    ///   makes the map less faithful).
    /// - returns: x_T `[N, 1, H, W]`.
    public static func invert(_ trained: TrainedModel, images: Tensor, labels: [Int?], steps: Int = 50, guidance: Float = 0,
                              progress: ((Int, Int) -> Void)? = nil) throws(EditingError) -> Tensor {
        let classes = try SDEdit.checkedLabels(trained, images: images, labels: labels)
        guard (1...trained.schedule.steps).contains(steps) else { throw .sampling(.steps(steps, modelTimesteps: trained.schedule.steps)) }
        let cfg = trained.recipe.nullClass.map { ClassifierFreeGuidance(scale: guidance, nullClass: $0) }
        let schedule = trained.schedule
        let model = trained.model
        let up = Array(timesteps(trained, steps: steps).reversed())
        return withoutGrad {
            var x = images
            // alphabar of where x is now: 1 for the clean image.
            var alphaBarPrev: Float = 1
            for (i, t) in up.enumerated() {
                let eps = PartialSampling.predictNoise(model, x: x, t: t, labels: classes, guidance: cfg)
                let alphaBar = schedule.alphasCumprod[t]
                // x0hat = (x_{t'} - sqrt(1 - alphabar_{t'}) eps) / sqrt(alphabar_{t'})
                let x0 = (x - eps * (1 - alphaBarPrev).squareRoot()) * (1 / alphaBarPrev.squareRoot())
                // x_t = sqrt(alphabar_t) x0hat + sqrt(1 - alphabar_t) eps
                x = x0 * alphaBar.squareRoot() + eps * (1 - alphaBar).squareRoot()
                alphaBarPrev = alphaBar
                progress?(i + 1, up.count)
            }
            return x
        }
    }

    /// Noise -> images by DDIM at eta = 0 over the same timesteps, without clipping (the forward map that
    /// `invert` undoes), conditioned on `labels` with guidance w.
    /// - noise: `[N, 1, H, W]`; returns `[N, 1, H, W]` in about [-1, 1].
    public static func generate(_ trained: TrainedModel, noise: Tensor, labels: [Int?], steps: Int = 50, guidance: Float = 0,
                                progress: ((Int, Int) -> Void)? = nil) throws(EditingError) -> Tensor {
        let classes = try SDEdit.checkedLabels(trained, images: noise, labels: labels)
        guard (1...trained.schedule.steps).contains(steps) else { throw .sampling(.steps(steps, modelTimesteps: trained.schedule.steps)) }
        let sampler = DDIMStepper(schedule: trained.schedule, timesteps: timesteps(trained, steps: steps), eta: 0, x0Processing: .none)
        var rng = SeededGenerator(seed: 0)  // unused: DDIM at eta 0 draws no noise
        return PartialSampling.denoise(model: trained.model, sampler: sampler, from: noise, labels: classes,
                                       guidance: trained.recipe.nullClass.map { ClassifierFreeGuidance(scale: guidance, nullClass: $0) },
                                       rng: &rng, progress: progress)
    }
}
