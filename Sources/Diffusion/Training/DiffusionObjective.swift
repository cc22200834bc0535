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
    /// Min-SNR-gamma loss weighting (Hang et al. 2023), or nil for the unweighted L_simple.
    public var minSNRGamma: Float?

    public init(schedule: NoiseSchedule, loss: Loss = .mse, labelDropProbability: Float = 0, nullClass: Int? = nil,
                minSNRGamma: Float? = nil) {
        self.schedule = schedule
        self.loss = loss
        self.labelDropProbability = labelDropProbability
        self.nullClass = nullClass
        self.minSNRGamma = minSNRGamma
    }

    /// The Min-SNR-gamma weight of timestep t for a model that predicts epsilon (Hang et al. 2023, eq. 9 with
    /// the epsilon-loss conversion): the loss of x0 weighted by min(SNR_t, gamma) is, in terms of epsilon,
    ///
    ///     w_t = min(SNR_t, gamma) / SNR_t,    SNR_t = alphabar_t / (1 - alphabar_t)
    ///
    /// 1 at high noise (SNR_t <= gamma), and small at low noise, where L_simple spends most of its effort on
    /// detail that the samples barely show. The timesteps then stop fighting each other over the gradient.
    public static func minSNRWeight(alphaBar: Float, gamma: Float) -> Float {
        let snr = alphaBar / (1 - alphaBar)
        return min(snr, gamma) / snr
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
        guard let gamma = minSNRGamma else {
            // L_simple = || eps - eps_theta(x_t, t) ||^2   (or the L1 norm)
            switch loss {
            case .mse: return Tensor.mseLoss(predicted, eps)
            case .l1: return Tensor.l1Loss(predicted, eps)
            }
        }
        // L = mean_n w_{t_n} || eps_n - eps_theta(x_t, t)_n ||   (squared for mse), weights [N, 1, 1, 1]
        let error = loss == .mse ? (predicted - eps).squared() : (predicted - eps).abs()
        let weights = Tensor(shape: [n] + Array(repeating: 1, count: x0.rank - 1),
                             scalars: t.map { Self.minSNRWeight(alphaBar: schedule.alphasCumprod[$0], gamma: gamma) })
        return (error * weights).mean()
    }
}
