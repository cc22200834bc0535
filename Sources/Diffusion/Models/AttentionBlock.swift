import TensorCore

/// Self-attention over the pixels of a feature map (diffusers' `Attention` as used by the U-Net blocks):
/// every position looks at every other position, so the network can relate distant strokes at low resolution.
///
///     h = group_norm(x) viewed as tokens              [N, H*W, C]
///     q, k, v = to_q(h), to_k(h), to_v(h)             each split into heads of `headDim` channels
///     a = softmax(q k^T / sqrt(headDim)) v            per head
///     out = x + to_out(a) viewed back as [N, C, H, W]
/// Explained in Chapters/02-UNet2D.md.
public final class AttentionBlock: Module {
    public let groupNorm: GroupNorm
    public let toQ: Linear
    public let toK: Linear
    public let toV: Linear
    public let toOut: ModuleList<Linear>
    public let heads: Int
    public var isTraining = true

    public init(channels: Int, headDim: Int, groups: Int, eps: Float = 1e-5, rng: inout SeededGenerator) {
        precondition(channels % headDim == 0, "AttentionBlock: \(channels) channels do not split into heads of \(headDim)")
        heads = channels / headDim
        groupNorm = GroupNorm(groups: groups, channels: channels, eps: eps)
        toQ = Linear(channels, channels, rng: &rng)
        toK = Linear(channels, channels, rng: &rng)
        toV = Linear(channels, channels, rng: &rng)
        toOut = ModuleList([Linear(channels, channels, rng: &rng)])
    }

    public var children: [(String, any Module)] {
        [("group_norm", groupNorm), ("to_q", toQ), ("to_k", toK), ("to_v", toV), ("to_out", toOut)]
    }

    /// x: `[N, C, H, W]` -> `[N, C, H, W]`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let (n, c, hgt, wid) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let tokens = hgt * wid
        let h = groupNorm(x).reshaped([n, c, tokens]).transposed(1, 2)        // [N, T, C]
        // Per head of `headDim` channels (the heads read straight from the [N, T, C] projections):
        // a = softmax(q k^T / sqrt(headDim)) v, merged back to [N, T, C].
        let merged = multiHeadAttention(query: toQ(h), key: toK(h), value: toV(h), heads: heads)
        let out = toOut[0](merged).transposed(1, 2).reshaped([n, c, hgt, wid])
        return x + out
    }
}
