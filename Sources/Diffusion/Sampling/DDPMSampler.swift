import TensorCore

/// Ancestral sampling of DDPM (Ho et al. 2020, Algorithm 2), one reverse step at a time, as diffusers'
/// `DDPMScheduler.step` with epsilon prediction:
///   x_{t-1} = mutilde_t(x_t, x0hat) + sigma_t z,   z ~ N(0, I), and no noise at t = 0.
/// Explained in Chapters/03-DDPM.md.
public struct DDPMSampler: Sendable {
    public enum Variance: String, Sendable, CaseIterable, Codable {
        /// sigma_t^2 = betatilde_t, the posterior variance (right when x_0 is a point).
        case fixedSmall
        /// sigma_t^2 = beta_t (right when x_0 ~ N(0, I)). Ho et al. found both similar.
        case fixedLarge
    }

    public let schedule: NoiseSchedule
    public var variance: Variance
    /// What to do with the predicted x_0: clip to [-1, 1], the data range (stabilizes early, very noisy steps;
    /// diffusers' `clip_sample`), dynamic thresholding, or nothing.
    public var x0Processing: X0Processing

    public init(schedule: NoiseSchedule, variance: Variance = .fixedSmall, x0Processing: X0Processing = .clip) {
        self.schedule = schedule
        self.variance = variance
        self.x0Processing = x0Processing
    }

    /// The timesteps visited, from T-1 down to 0.
    public var timesteps: [Int] { Array((0..<schedule.steps).reversed()) }

    /// One reverse step at timestep t for a batch.
    /// - eps: the model's noise prediction `[N, C, H, W]`; sample: x_t; noise: z (ignored at t = 0).
    /// - Returns: x_{t-1} and the predicted x_0.
    public func step(eps: Tensor, t: Int, sample: Tensor, noise: Tensor?) -> (prevSample: Tensor, predictedX0: Tensor) {
        let s = schedule
        let alphaBar = s.alphasCumprod[t]
        // x0hat = (x_t - sqrt(1 - alphabar_t) eps) / sqrt(alphabar_t)           (eq. 15, solved for x_0)
        let x0 = x0Processing.apply((sample - eps * (1 - alphaBar).squareRoot()) / alphaBar.squareRoot())
        // mutilde_t = coef1_t x0hat + coef2_t x_t                                   (eq. 7; NoiseSchedule.posteriorMeanCoef1/2)
        var prev = x0 * s.posteriorMeanCoef1[t] + sample * s.posteriorMeanCoef2[t]
        if t > 0, let noise {
            // sigma_t^2 = betatilde_t (fixed small) or beta_t (fixed large)
            let sigma2 = variance == .fixedSmall ? Swift.max(s.posteriorVariance[t], 1e-20) : s.betas[t]
            prev = prev + noise * sigma2.squareRoot()
        }
        return (prev, x0)
    }
}
