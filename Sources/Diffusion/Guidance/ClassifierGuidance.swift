import TensorCore

/// The classifier that classifier guidance reads log p(c | x) from.
public enum GuidanceClassifier: @unchecked Sendable {
    /// A classifier of clean digits (the shipped `MNISTClassifier`), applied to x0hat(x_t) with eps held fixed.
    case clean(MNISTClassifier)
    /// A classifier of noisy digits x_t that is told t (`NoiseAwareClassifier`): the paper's way.
    case noiseAware(NoiseAwareClassifier)

    var module: any Module {
        switch self {
        case let .clean(c): c
        case let .noiseAware(c): c
        }
    }
}

/// Classifier guidance (Dhariwal & Nichol 2021, "Diffusion Models Beat GANs on Image Synthesis", Algorithm 2, the
/// form for deterministic samplers such as DDIM and DPM-Solver++): steer an unconditional model towards class c
/// by adding the classifier's gradient to the score, which for an eps-model reads
///   eps_hat = eps(x_t) - s sqrt(1 - alphabar_t) grad_{x_t} log p(c | x_t)
/// (the score of x_t is -eps / sqrt(1 - alphabar_t); s is the paper's "gradient scale").
/// With the clean classifier, log p(c | x_t) is read as log p(c | x0hat(x_t)), the gradient through
/// x0hat = (x_t - sqrt(1 - alphabar_t) eps) / sqrt(alphabar_t) with eps held fixed.
/// Explained in Chapters/06-Guidance.md.
public struct ClassifierGuidance: SamplingGuide, @unchecked Sendable {
    public var classifier: GuidanceClassifier
    /// The class each image of the batch is steered to.
    public var classes: [Int]
    /// s, the gradient scale.
    public var scale: Float

    public init(classifier: GuidanceClassifier, classes: [Int], scale: Float) {
        self.classifier = classifier
        self.classes = classes
        self.scale = scale
    }

    /// grad_{x_t} sum_n log p(c_n | x_t,n) given the network's eps at x_t (used by the clean classifier only).
    /// x, eps: `[N, C, H, W]` -> `[N, C, H, W]`.
    public func logProbabilityGradient(x: Tensor, eps: Tensor, t: Int, schedule: NoiseSchedule) -> Tensor {
        precondition(classes.count == x.shape[0], "ClassifierGuidance: \(classes.count) classes for a batch of \(x.shape[0])")
        classifier.module.eval()
        defer { classifier.module.zeroGrad() }
        let input = x.detached.requiringGrad()
        let logits: Tensor
        switch classifier {
        case let .clean(c): logits = c(predictedX0(x: input, eps: eps.detached, t: t, schedule: schedule))
        case let .noiseAware(c): logits = c(input, timesteps: Array(repeating: Float(t), count: x.shape[0]))
        }
        // sum_n log p(c_n | x_n) = -N * cross-entropy (which is a mean over the batch)
        let logProbability = Tensor.crossEntropy(logits, labels: classes) * Float(-x.shape[0])
        logProbability.backward()
        return input.gradient ?? Tensor.zeros(x.shape)
    }

    public func guide(x: Tensor, t: Int, schedule: NoiseSchedule, predictNoise: (Tensor) -> Tensor) -> (x: Tensor, eps: Tensor) {
        let eps = withoutGrad { predictNoise(x) }
        let grad = logProbabilityGradient(x: x, eps: eps, t: t, schedule: schedule)
        // eps_hat = eps - s sqrt(1 - alphabar_t) grad_{x_t} log p(c | x_t)
        return (x, withoutGrad { eps - grad * (scale * schedule.sqrtOneMinusAlphasCumprod[t]) })
    }
}
