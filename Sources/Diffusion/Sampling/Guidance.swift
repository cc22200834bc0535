import TensorCore

/// Classifier-free guidance (Ho & Salimans 2022). One network learns both the conditional eps(x_t, c) and,
/// because labels are dropped to a "null" class 10% of the time in training, the unconditional eps(x_t, null).
/// At sampling, extrapolate away from the unconditional prediction:
///   eps = (1 + w) eps(x_t, c) - w eps(x_t, null)
/// w = 0 is plain conditional sampling; larger w gives more typical, less varied digits.
/// Explained in Chapters/04-Conditional.md.
public struct ClassifierFreeGuidance: Sendable {
    public var scale: Float
    /// The class index that means "no class" (the last embedding row).
    public var nullClass: Int
    /// Guide only at timesteps t in this range; elsewhere use the plain conditional prediction (w = 0), at half
    /// the cost. Kynkaanniemi et al. 2024 ("Applying guidance in a limited interval") found that guidance at
    /// the noisiest steps costs variety and at the cleanest buys nothing.
    public var interval: ClosedRange<Int>?

    public init(scale: Float, nullClass: Int, interval: ClosedRange<Int>? = nil) {
        self.scale = scale
        self.nullClass = nullClass
        self.interval = interval
    }

    /// Both predictions in one batched forward pass: the batch is [x; x] with labels [c; null].
    /// x: `[N, C, H, W]` -> eps `[N, C, H, W]`.
    public func predictNoise(_ model: some DenoisingModel, x: Tensor, t: Int, labels: [Int]) -> Tensor {
        let n = x.shape[0]
        if scale == 0 || !(interval?.contains(t) ?? true) {
            return model(x, timesteps: Array(repeating: Float(t), count: n), classLabels: labels)
        }
        let both = model(Tensor.concat([x, x], axis: 0), timesteps: Array(repeating: Float(t), count: 2 * n),
                         classLabels: labels + Array(repeating: nullClass, count: n))
        let conditional = both.narrow(axis: 0, start: 0, length: n)
        let unconditional = both.narrow(axis: 0, start: n, length: n)
        return conditional * (1 + scale) - unconditional * scale
    }
}
