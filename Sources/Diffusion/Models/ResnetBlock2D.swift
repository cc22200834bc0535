import TensorCore

/// diffusers' `ResnetBlock2D`: two 3x3 convolutions with GroupNorm and SiLU before each, the time embedding
/// added in between (one learned bias per channel, per sample), dropout before the second convolution, and a
/// residual connection (through a 1x1 convolution when the channel count changes).
///
///     h = conv1(silu(norm1(x)))                      [N, Cout, H, W]
///     h = h + time_emb_proj(silu(temb))[:, :, None, None]
///     h = conv2(dropout(silu(norm2(h))))
///     out = shortcut(x) + h
/// Explained in Chapters/02-UNet2D.md.
public final class ResnetBlock2D: Module {
    public let norm1: GroupNorm
    public let conv1: Conv2d
    public let timeEmbProj: Linear
    public let norm2: GroupNorm
    public let dropout: Dropout
    public let conv2: Conv2d
    public let convShortcut: Conv2d?
    public var isTraining = true

    public init(inChannels: Int, outChannels: Int, tembChannels: Int, groups: Int, eps: Float = 1e-5,
                dropout p: Float, random: RandomSource?, rng: inout SeededGenerator) {
        norm1 = GroupNorm(groups: groups, channels: inChannels, eps: eps)
        conv1 = Conv2d(inChannels, outChannels, kernelSize: 3, padding: 1, rng: &rng)
        timeEmbProj = Linear(tembChannels, outChannels, rng: &rng)
        norm2 = GroupNorm(groups: groups, channels: outChannels, eps: eps)
        dropout = Dropout(p, random: random)
        conv2 = Conv2d(outChannels, outChannels, kernelSize: 3, padding: 1, rng: &rng)
        convShortcut = inChannels == outChannels ? nil : Conv2d(inChannels, outChannels, kernelSize: 1, rng: &rng)
    }

    public var children: [(String, any Module)] {
        var list: [(String, any Module)] = [("norm1", norm1), ("conv1", conv1), ("time_emb_proj", timeEmbProj),
                                            ("norm2", norm2), ("dropout", dropout), ("conv2", conv2)]
        if let convShortcut { list.append(("conv_shortcut", convShortcut)) }
        return list
    }

    /// x: `[N, Cin, H, W]`, temb: `[N, tembChannels]` -> `[N, Cout, H, W]`.
    public func callAsFunction(_ x: Tensor, temb: Tensor) -> Tensor {
        var h = conv1(norm1(x, thenSiLU: true))             // silu(norm1(x)), fused
        let t = timeEmbProj(temb.silu())                     // [N, Cout]
        h = h + t.reshaped([t.shape[0], t.shape[1], 1, 1])   // per sample, per channel
        h = conv2(dropout(norm2(h, thenSiLU: true)))
        return (convShortcut.map { $0(x) } ?? x) + h
    }
}
