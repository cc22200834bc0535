/// An exponential moving average of a model's weights, used for sampling (Ho et al. 2020 use decay 0.9999):
///   shadow <- d shadow + (1 - d) theta
/// On short runs a fixed decay leaves the average dominated by the random initialization, so the decay
/// warms up: d = min(maxDecay, (1 + step) / (10 + step)).
/// Explained in Chapters/03-DDPM.md, "An average of the weights (EMA)".
public final class EMA {
    public let maxDecay: Float
    public private(set) var updates = 0
    /// The averaged copies, aligned with the tracked parameters.
    public private(set) var shadow: [Tensor]
    private let parameters: [Parameter]

    public init(_ parameters: [Parameter], maxDecay: Float = 0.999) {
        self.parameters = parameters
        self.maxDecay = maxDecay
        shadow = parameters.map { $0.value.copy() }
    }

    public var currentDecay: Float { min(maxDecay, Float(1 + updates) / Float(10 + updates)) }

    public func update() {
        let d = currentDecay
        for (p, s) in zip(parameters, shadow) {
            let sp = s.storage.pointer
            p.value.withUnsafeBufferPointer { theta in
                for i in 0..<theta.count { sp[i] = d * sp[i] + (1 - d) * theta[i] }
            }
        }
        updates += 1
    }

    /// Writes the averaged weights into `parameters` (e.g. a copy of the model used for sampling).
    public func copy(to target: [Parameter]) {
        precondition(target.count == shadow.count, "EMA.copy: \(target.count) parameters, \(shadow.count) averages")
        for (p, s) in zip(target, shadow) { p.assign(s) }
    }

    /// Restores saved averages (resume).
    public func load(_ tensors: [Tensor], updates: Int) {
        precondition(tensors.count == shadow.count, "EMA.load: \(tensors.count) tensors, \(shadow.count) expected")
        for (s, t) in zip(shadow, tensors) {
            precondition(s.shape == t.shape, "EMA.load: shape \(t.shape) does not match \(s.shape)")
            s.storage.pointer.update(from: t.storage.pointer, count: s.count)
        }
        self.updates = updates
    }
}
