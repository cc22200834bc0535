/// A lookup table: index i -> row i of weight `[count, dim]`. Initialized N(0, 1) as PyTorch's nn.Embedding.
/// Explained in Chapters/04-Conditional.md, "Conditioning on a class".
public final class Embedding: Module {
    public let weight: Parameter
    public var isTraining = true

    public init(_ count: Int, _ dim: Int, rng: inout SeededGenerator) {
        weight = Parameter(.randomNormal([count, dim], using: &rng))
    }

    public var ownParameters: [(String, Parameter)] { [("weight", weight)] }

    /// indices: N class ids -> `[N, dim]`.
    public func callAsFunction(_ indices: [Int]) -> Tensor { Tensor.gather(weight.value, rows: indices) }
}
