import TensorCore

/// Chapter 2's network, diffusers' `UNet2DModel`: a U-Net of ResNet blocks with GroupNorm, dropout,
/// self-attention at low resolution, learned down/up sampling, and conditioning on the timestep (and,
/// from chapter 4, on a class) through an embedding added inside every ResNet block.
///
///     t -> sinusoidal features [N, 32] -> time MLP [N, 128] (+ class embedding) = emb
///     x [N, 1, 28, 28] -> conv_in [N, 32, 28, 28]
///       down_blocks: 28x28 (32) -> 14x14 (64, attention) -> 7x7 (64, attention)     skips saved
///       mid_block:   ResNet, attention, ResNet at 7x7
///       up_blocks:   7x7 -> 14x14 -> 28x28, each ResNet fed [h, skip] concatenated
///     -> GroupNorm, SiLU, conv_out [N, 1, 28, 28]
///
/// Parameter names equal diffusers' state_dict keys (`down_blocks.1.attentions.0.to_q.weight`, ...).
/// Explained in Chapters/02-UNet2D.md.
public final class UNet2DModel: DenoisingModel {
    public let config: UNet2DConfig
    public let convIn: Conv2d
    public let timeEmbedding: TimestepEmbedding
    public let classEmbedding: Embedding?
    public let downBlocks: ModuleList<UNetDownBlock>
    public let midBlock: UNetMidBlock
    public let upBlocks: ModuleList<UNetUpBlock>
    public let convNormOut: GroupNorm
    public let convOut: Conv2d
    public var isTraining = true

    /// - random: the source of dropout masks during training (nil: no dropout).
    public init(_ config: UNet2DConfig = UNet2DConfig(), random: RandomSource? = nil, rng: inout SeededGenerator) {
        precondition(config.downBlockTypes.count == config.blockOutChannels.count && config.upBlockTypes.count == config.blockOutChannels.count,
                     "UNet2DConfig: need one down and one up block type per entry of block_out_channels")
        self.config = config
        let channels = config.blockOutChannels
        convIn = Conv2d(config.inChannels, channels[0], kernelSize: 3, padding: 1, rng: &rng)
        timeEmbedding = TimestepEmbedding(inChannels: channels[0], embedDim: config.timeEmbedDim, rng: &rng)
        classEmbedding = config.numClassEmbeds.map { Embedding($0, config.timeEmbedDim, rng: &rng) }

        // Down path. Track the channel count of every state pushed onto the skip stack.
        var skipChannels = [channels[0]]
        var downs: [UNetDownBlock] = []
        var previous = channels[0]
        for (i, type) in config.downBlockTypes.enumerated() {
            let last = i == channels.count - 1
            downs.append(UNetDownBlock(inChannels: previous, outChannels: channels[i], layers: config.layersPerBlock,
                                       attention: type == .attnDown, downsample: !last, config: config, random: random, rng: &rng))
            skipChannels += Array(repeating: channels[i], count: config.layersPerBlock + (last ? 0 : 1))
            previous = channels[i]
        }
        downBlocks = ModuleList(downs)
        midBlock = UNetMidBlock(channels: channels.last!, config: config, random: random, rng: &rng)

        // Up path: each block takes layersPerBlock + 1 skip states, popped from the end.
        var ups: [UNetUpBlock] = []
        let reversed = Array(channels.reversed())
        for (i, type) in config.upBlockTypes.enumerated() {
            let taken = Array(skipChannels.suffix(config.layersPerBlock + 1).reversed())
            skipChannels.removeLast(config.layersPerBlock + 1)
            ups.append(UNetUpBlock(inChannels: previous, skipChannels: taken, outChannels: reversed[i],
                                   attention: type == .attnUp, upsample: i < channels.count - 1, config: config, random: random, rng: &rng))
            previous = reversed[i]
        }
        upBlocks = ModuleList(ups)
        convNormOut = GroupNorm(groups: config.normNumGroups, channels: channels[0], eps: config.normEps)
        convOut = Conv2d(channels[0], config.outChannels, kernelSize: 3, padding: 1, rng: &rng)
    }

    public var children: [(String, any Module)] {
        var list: [(String, any Module)] = [("conv_in", convIn), ("time_embedding", timeEmbedding)]
        if let classEmbedding { list.append(("class_embedding", classEmbedding)) }
        list += [("down_blocks", downBlocks), ("mid_block", midBlock), ("up_blocks", upBlocks),
                 ("conv_norm_out", convNormOut), ("conv_out", convOut)]
        return list
    }

    /// x: `[N, Cin, H, W]`, timesteps: N values, classLabels: N indices (required when the model has a class embedding).
    public func callAsFunction(_ x: Tensor, timesteps: [Float], classLabels: [Int]? = nil) -> Tensor {
        precondition(timesteps.count == x.shape[0], "UNet2DModel: \(timesteps.count) timesteps for a batch of \(x.shape[0])")
        var emb = timeEmbedding(sinusoidalTimestepFeatures(timesteps, dim: config.blockOutChannels[0]))   // [N, 128]
        if let classEmbedding {
            guard let classLabels else { preconditionFailure("UNet2DModel: this model is class-conditional; pass classLabels") }
            emb = emb + classEmbedding(classLabels)
        }
        var h = convIn(x)
        var skips = [h]
        for block in downBlocks.items {
            let (out, states) = block(h, temb: emb)
            h = out
            skips += states
        }
        h = midBlock(h, temb: emb)
        for block in upBlocks.items { h = block(h, skips: &skips, temb: emb) }
        return convOut(convNormOut(h, thenSiLU: true))     // conv_out(silu(norm(h)))
    }
}
