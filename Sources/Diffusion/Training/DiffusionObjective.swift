import TensorCore

/// The training objective of DDPM (Ho et al. 2020, Algorithm 1), with the class dropout of classifier-free
/// guidance:
///
///     x_0 ~ data, t ~ Uniform{0, ..., T-1}, eps ~ N(0, I)
///     x_t = sqrt(alphabar_t) x_0 + sqrt(1 - alphabar_t) eps
///     L_simple = || eps - eps_theta(x_t, t [, c]) ||^2
/// Explained in Chapters/03-DDPM.md.
public struct DiffusionObjective: Sendable {
    public enum Loss: String, Sendable, Codable, CaseIterable { case mse, l1 }

    public var schedule: NoiseSchedule
    public var loss: Loss
    /// Probability of replacing a label by the null class (0: never; 0.1 in Ho & Salimans).
    public var labelDropProbability: Float
    /// The null class index, used when labels are dropped.
    public var nullClass: Int?

    public init(schedule: NoiseSchedule, loss: Loss = .mse, labelDropProbability: Float = 0, nullClass: Int? = nil) {
        self.schedule = schedule
        self.loss = loss
        self.labelDropProbability = labelDropProbability
        self.nullClass = nullClass
    }

    /// The loss on one batch, recorded for `backward()`.
    /// - x0: `[N, 1, H, W]` in [-1, 1]; labels: N classes or nil.
    public func loss(model: some DenoisingModel, x0: Tensor, labels: [Int]?, rng: inout SeededGenerator) -> Tensor {
        let n = x0.shape[0]
        // t ~ Uniform{0, ..., T-1}
        let t = (0..<n).map { _ in Int(rng.next() % UInt64(schedule.steps)) }
        // eps ~ N(0, I)
        let eps = Tensor.randomNormal(x0.shape, using: &rng)
        // x_t = sqrt(alphabar_t) x_0 + sqrt(1 - alphabar_t) eps
        let xt = schedule.qSample(x0: x0, t: t, noise: eps)
        var c = labels
        if let labels, let nullClass, labelDropProbability > 0 {
            c = labels.map { rng.nextUniform() < labelDropProbability ? nullClass : $0 }
        }
        let predicted = model(xt, timesteps: t.map(Float.init), classLabels: c)
        // L_simple = || eps - eps_theta(x_t, t) ||^2   (or the L1 norm)
        switch loss {
        case .mse: return Tensor.mseLoss(predicted, eps)
        case .l1: return Tensor.l1Loss(predicted, eps)
        }
    }
}
