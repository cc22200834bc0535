import TensorCore

/// DDIM (Song et al. 2021): a non-Markovian reverse process with the same training objective, which can skip
/// steps. With eta = 0 it is deterministic; eta = 1 recovers DDPM-like stochasticity. As diffusers'
/// `DDIMScheduler.step` (leading timestep spacing, alphabar of the final step = 1), except that by default eps
/// is re-derived from the clipped x0hat (diffusers' `use_clipped_model_output=True`; see `useClippedModelOutput`):
///   x_{t'} = sqrt(alphabar_{t'}) x0hat + sqrt(1 - alphabar_{t'} - sigma_t^2) eps + sigma_t z
///   sigma_t = eta sqrt((1 - alphabar_{t'}) / (1 - alphabar_t)) sqrt(1 - alphabar_t / alphabar_{t'})
/// where t' is the next (smaller) timestep visited.
/// Explained in Chapters/03-DDPM.md.
public struct DDIMSampler: Sendable {
    public let schedule: NoiseSchedule
    public let inferenceSteps: Int
    public var eta: Float
    /// What to do with x0hat: clip to [-1, 1] (diffusers' `clip_sample`), dynamic thresholding, or nothing.
    public var x0Processing: X0Processing
    /// After clipping x0hat, re-derive eps from it (diffusers' `use_clipped_model_output`) so that the two terms
    /// of the update agree. Without this, clipping and a large guided eps fight each other and guided samples
    /// turn into saturated blobs (Chapters/04-Conditional.md shows it). On by default here; diffusers' default
    /// is off (the reference test sets it off to compare).
    public var useClippedModelOutput: Bool

    public init(schedule: NoiseSchedule, inferenceSteps: Int, eta: Float = 0, x0Processing: X0Processing = .clip,
                useClippedModelOutput: Bool = true) {
        precondition(inferenceSteps >= 1 && inferenceSteps <= schedule.steps, "DDIMSampler: inferenceSteps must be in 1...\(schedule.steps), got \(inferenceSteps)")
        self.schedule = schedule
        self.inferenceSteps = inferenceSteps
        self.eta = eta
        self.x0Processing = x0Processing
        self.useClippedModelOutput = useClippedModelOutput
    }

    /// "Leading" spacing: every (T / steps)-th timestep from 0, visited from the largest down,
    /// e.g. T = 1000, 50 steps: 980, 960, ..., 20, 0.
    public var timesteps: [Int] {
        let ratio = schedule.steps / inferenceSteps
        return (0..<inferenceSteps).map { $0 * ratio }.reversed()
    }

    /// One step from timestep t to t - T / steps.
    /// - Returns: the next sample and the predicted x_0.
    public func step(eps: Tensor, t: Int, sample: Tensor, noise: Tensor?) -> (prevSample: Tensor, predictedX0: Tensor) {
        let prevT = t - schedule.steps / inferenceSteps
        let alphaBar = schedule.alphasCumprod[t]
        let alphaBarPrev = prevT >= 0 ? schedule.alphasCumprod[prevT] : 1
        // x0hat = (x_t - sqrt(1 - alphabar_t) eps) / sqrt(alphabar_t)              (eq. 12, "predicted x_0")
        let x0 = x0Processing.apply((sample - eps * (1 - alphaBar).squareRoot()) / alphaBar.squareRoot())
        var eps = eps
        if x0Processing != .none && useClippedModelOutput {
            // eps = (x_t - sqrt(alphabar_t) x0hat) / sqrt(1 - alphabar_t), consistent with the clipped x0hat
            eps = (sample - x0 * alphaBar.squareRoot()) / (1 - alphaBar).squareRoot()
        }
        // sigma_t^2 = eta^2 (1 - alphabar_{t'}) / (1 - alphabar_t) (1 - alphabar_t / alphabar_{t'})   (eq. 16)
        let variance = (1 - alphaBarPrev) / (1 - alphaBar) * (1 - alphaBar / alphaBarPrev)
        let sigma = eta * variance.squareRoot()
        // x_{t'} = sqrt(alphabar_{t'}) x0hat + sqrt(1 - alphabar_{t'} - sigma^2) eps  ("direction pointing to x_t")
        var prev = x0 * alphaBarPrev.squareRoot() + eps * Swift.max(1 - alphaBarPrev - sigma * sigma, 0).squareRoot()
        if eta > 0, let noise { prev = prev + noise * sigma }
        return (prev, x0)
    }
}
