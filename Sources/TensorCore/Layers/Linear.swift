/// y = x W^T + b.  x: `[N, in]` (or `[..., in]`), W: `[out, in]`, b: `[out]` -> `[N, out]`.
public final class Linear: Module {
    public let weight: Parameter
    public let bias: Parameter?
    public var isTraining = true

    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, rng: inout SeededGenerator) {
        weight = Parameter(pytorchDefaultInit([outFeatures, inFeatures], fanIn: inFeatures, using: &rng))
        self.bias = bias ? Parameter(pytorchDefaultInit([outFeatures], fanIn: inFeatures, using: &rng)) : nil
    }

    public var ownParameters: [(String, Parameter)] { [("weight", weight)] + (bias.map { [("bias", $0)] } ?? []) }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        let inFeatures = weight.shape[1]
        precondition(x.shape.last == inFeatures, "Linear: input \(x.shape) does not end in \(inFeatures) features")
        let flat = x.rank == 2 ? x : x.reshaped([-1, inFeatures])
        var y = Tensor.matmul(flat, weight.value, transposeB: true)
        if let bias { y = y + bias.value }
        return x.rank == 2 ? y : y.reshaped(Array(x.shape.dropLast()) + [weight.shape[0]])
    }
}
