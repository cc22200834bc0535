/// Dropout (Srivastava et al. 2014): in training, zero each element with probability p and scale the rest
/// by 1 / (1 - p) so the expected value is unchanged; in evaluation, the identity.
/// Composed from primitives: a random mask times the input.
public final class Dropout: Module {
    public let p: Float
    public var isTraining = true
    /// Where masks come from; shared with the training loop so that a seed reproduces the run.
    public let random: RandomSource?

    public init(_ p: Float, random: RandomSource?) {
        precondition(p >= 0 && p < 1, "Dropout: p must be in [0, 1), got \(p)")
        self.p = p
        self.random = random
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        guard isTraining, p > 0, let random else { return x }
        let keep = 1 - p
        let mask = Tensor(shape: x.shape) { m in
            for i in 0..<m.count { m[i] = random.generator.nextUniform() < keep ? 1 / keep : 0 }
        }
        return x * mask
    }
}
