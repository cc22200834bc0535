/// Group normalization (Wu & He 2018): normalize each sample over groups of channels, then scale and shift
/// per channel. Unlike batch norm it does not depend on the batch, so training and sampling behave alike.
///   y = (x - mean_g) / sqrt(var_g + eps) * weight[c] + bias[c]
public final class GroupNorm: Module {
    public let groups: Int
    public let eps: Float
    public let weight: Parameter
    public let bias: Parameter
    public var isTraining = true

    public init(groups: Int, channels: Int, eps: Float = 1e-5) {
        precondition(channels % groups == 0, "GroupNorm: \(channels) channels do not split into \(groups) groups")
        self.groups = groups
        self.eps = eps
        weight = Parameter(.ones([channels]))
        bias = Parameter(.zeros([channels]))
    }

    public var ownParameters: [(String, Parameter)] { [("weight", weight), ("bias", bias)] }

    /// x: `[N, C, H, W]` (or `[N, C, L]`) -> same shape. One fused primitive (Ops/GroupNorm.swift);
    /// `composed(_:)` below is the same function built from primitives.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        checkChannels(x)
        return Tensor.groupNorm(x, weight: weight.value, bias: bias.value, groups: groups, eps: eps)
    }

    /// silu(self(x)) in one pass, for the "normalize, then activate" pattern of ResNet blocks.
    public func callAsFunction(_ x: Tensor, thenSiLU: Bool) -> Tensor {
        checkChannels(x)
        return Tensor.groupNorm(x, weight: weight.value, bias: bias.value, groups: groups, eps: eps, silu: thenSiLU)
    }

    /// The definition: normalize each group, then scale and shift each channel.
    public func composed(_ x: Tensor) -> Tensor {
        checkChannels(x)
        let xhat = x.groupNormalized(groups: groups, eps: eps)
        var affine = [1, x.shape[1]]
        affine += Array(repeating: 1, count: x.rank - 2)
        return xhat * weight.value.reshaped(affine) + bias.value.reshaped(affine)
    }

    private func checkChannels(_ x: Tensor) {
        precondition(x.rank >= 2 && x.shape[1] == weight.shape[0], "GroupNorm: input \(x.shape) does not have \(weight.shape[0]) channels")
    }
}

/// Batch normalization (Ioffe & Szegedy 2015) for `[N, C, H, W]`: in training, normalize each channel by the
/// batch's mean and variance and update running averages; in evaluation, use the running averages.
public final class BatchNorm2d: Module {
    public let eps: Float
    public let momentum: Float
    public let weight: Parameter
    public let bias: Parameter
    public let runningMean: Parameter
    public let runningVar: Parameter
    public let batchesTracked: Parameter
    public var isTraining = true

    public init(_ channels: Int, eps: Float = 1e-5, momentum: Float = 0.1) {
        self.eps = eps
        self.momentum = momentum
        weight = Parameter(.ones([channels]))
        bias = Parameter(.zeros([channels]))
        runningMean = Parameter(.zeros([channels]))
        runningVar = Parameter(.ones([channels]))
        batchesTracked = Parameter(.zeros([]))
    }

    public var ownParameters: [(String, Parameter)] { [("weight", weight), ("bias", bias)] }
    public var ownBuffers: [(String, Parameter)] {
        [("running_mean", runningMean), ("running_var", runningVar), ("num_batches_tracked", batchesTracked)]
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        let c = weight.shape[0]
        precondition(x.rank == 4 && x.shape[1] == c, "BatchNorm2d: expected [N, \(c), H, W], got \(x.shape)")
        let shape = [1, c, 1, 1]
        let mean: Tensor, variance: Tensor
        if isTraining {
            mean = x.mean(axes: [0, 2, 3], keepDims: true)
            variance = (x - mean).squared().mean(axes: [0, 2, 3], keepDims: true)
            // running = (1 - momentum) running + momentum batch  (the variance stored unbiased, as PyTorch)
            let n = Float(x.count / c)
            let (m, v) = (mean.detached, variance.detached)
            runningMean.update { r, _ in for i in 0..<c { r[i] = (1 - momentum) * r[i] + momentum * m.storage.pointer[i] } }
            runningVar.update { r, _ in for i in 0..<c { r[i] = (1 - momentum) * r[i] + momentum * v.storage.pointer[i] * n / Swift.max(n - 1, 1) } }
            batchesTracked.update { r, _ in r[0] += 1 }
        } else {
            mean = runningMean.value.detached.reshaped(shape)
            variance = runningVar.value.detached.reshaped(shape)
        }
        return (x - mean) / (variance + eps).sqrt() * weight.value.reshaped(shape) + bias.value.reshaped(shape)
    }
}

extension Tensor {
    /// (x - mean) / sqrt(var + eps) over each sample's groups of channels, composed from primitives.
    /// x: `[N, C, ...]`, C divisible by `groups`.
    public func groupNormalized(groups: Int, eps: Float) -> Tensor {
        let n = shape[0]
        let grouped = reshaped([n, groups, -1])                       // [N, G, C/G * H * W]
        let mean = grouped.mean(axes: [2], keepDims: true)            // [N, G, 1]
        let centered = grouped - mean
        let variance = centered.squared().mean(axes: [2], keepDims: true)  // biased, as PyTorch
        return (centered / (variance + eps).sqrt()).reshaped(shape)
    }
}
