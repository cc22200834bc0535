/// A 2-D convolution layer. weight: `[Cout, Cin, K, K]`, bias: `[Cout]`; input `[N, Cin, H, W]`.
public final class Conv2d: Module {
    public let weight: Parameter
    public let bias: Parameter?
    public let stride: Int
    public let padding: Int
    public var isTraining = true

    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                bias: Bool = true, rng: inout SeededGenerator) {
        let fanIn = inChannels * kernelSize * kernelSize
        weight = Parameter(pytorchDefaultInit([outChannels, inChannels, kernelSize, kernelSize], fanIn: fanIn, using: &rng))
        self.bias = bias ? Parameter(pytorchDefaultInit([outChannels], fanIn: fanIn, using: &rng)) : nil
        self.stride = stride
        self.padding = padding
    }

    public var ownParameters: [(String, Parameter)] { [("weight", weight)] + (bias.map { [("bias", $0)] } ?? []) }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        Tensor.conv2d(x, weight: weight.value, bias: bias?.value, stride: stride, padding: padding)
    }
}

/// A transposed convolution layer (learned upsampling). weight: `[Cin, Cout, K, K]` as in PyTorch.
public final class ConvTranspose2d: Module {
    public let weight: Parameter
    public let bias: Parameter?
    public let stride: Int
    public let padding: Int
    public var isTraining = true

    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                bias: Bool = true, rng: inout SeededGenerator) {
        // PyTorch computes fan_in from weight.shape[1] * K * K for transposed convolutions.
        let fanIn = outChannels * kernelSize * kernelSize
        weight = Parameter(pytorchDefaultInit([inChannels, outChannels, kernelSize, kernelSize], fanIn: fanIn, using: &rng))
        self.bias = bias ? Parameter(pytorchDefaultInit([outChannels], fanIn: fanIn, using: &rng)) : nil
        self.stride = stride
        self.padding = padding
    }

    public var ownParameters: [(String, Parameter)] { [("weight", weight)] + (bias.map { [("bias", $0)] } ?? []) }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        Tensor.convTranspose2d(x, weight: weight.value, bias: bias?.value, stride: stride, padding: padding)
    }
}
