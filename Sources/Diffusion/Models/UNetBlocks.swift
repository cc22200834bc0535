import TensorCore

/// Learned downsampling: a 3x3 convolution with stride 2 (diffusers' `Downsample2D`). `[N, C, H, W] -> [N, C, H/2, W/2]`.
/// Explained in Chapters/02-UNet2D.md.
public final class Downsample2D: Module {
    public let conv: Conv2d
    public var isTraining = true
    public init(channels: Int, rng: inout SeededGenerator) {
        conv = Conv2d(channels, channels, kernelSize: 3, stride: 2, padding: 1, rng: &rng)
    }
    public var children: [(String, any Module)] { [("conv", conv)] }
    public func callAsFunction(_ x: Tensor) -> Tensor { conv(x) }
}

/// Learned upsampling: nearest 2x, then a 3x3 convolution (diffusers' `Upsample2D`). `[N, C, H, W] -> [N, C, 2H, 2W]`.
/// Explained in Chapters/02-UNet2D.md.
public final class Upsample2D: Module {
    public let conv: Conv2d
    public var isTraining = true
    public init(channels: Int, rng: inout SeededGenerator) {
        conv = Conv2d(channels, channels, kernelSize: 3, padding: 1, rng: &rng)
    }
    public var children: [(String, any Module)] { [("conv", conv)] }
    public func callAsFunction(_ x: Tensor) -> Tensor { conv(x.upsampleNearest(2)) }
}

/// The ResNet blocks of one U-Net level (block i takes `inputs[i]` channels), each followed by an attention
/// block when `attention` is on. Created in diffusers' order, so a seed gives the same weights either way.
func makeLayers(inputs: [Int], outChannels: Int, attention: Bool, config: UNet2DConfig, random: RandomSource?,
                rng: inout SeededGenerator) -> (ModuleList<ResnetBlock2D>, ModuleList<AttentionBlock>?) {
    var resnets: [ResnetBlock2D] = [], attentions: [AttentionBlock] = []
    for input in inputs {
        resnets.append(ResnetBlock2D(inChannels: input, outChannels: outChannels, tembChannels: config.timeEmbedDim,
                                     groups: config.normNumGroups, eps: config.normEps, dropout: config.dropout,
                                     random: random, rng: &rng))
        if attention {
            attentions.append(AttentionBlock(channels: outChannels, headDim: config.attentionHeadDim,
                                             groups: config.normNumGroups, eps: config.normEps, rng: &rng))
        }
    }
    return (ModuleList(resnets), attention ? ModuleList(attentions) : nil)
}

/// One level of the down path (`DownBlock2D`, or `AttnDownBlock2D` when `attention` is on): ResNet blocks,
/// each optionally followed by attention, then an optional downsampler. Every intermediate output is kept
/// for the up path's skip connections.
public final class UNetDownBlock: Module {
    public let resnets: ModuleList<ResnetBlock2D>
    public let attentions: ModuleList<AttentionBlock>?
    public let downsamplers: ModuleList<Downsample2D>?
    public var isTraining = true

    init(inChannels: Int, outChannels: Int, layers: Int, attention: Bool, downsample: Bool,
         config: UNet2DConfig, random: RandomSource?, rng: inout SeededGenerator) {
        let inputs = (0..<layers).map { $0 == 0 ? inChannels : outChannels }
        (resnets, attentions) = makeLayers(inputs: inputs, outChannels: outChannels, attention: attention,
                                           config: config, random: random, rng: &rng)
        downsamplers = downsample ? ModuleList([Downsample2D(channels: outChannels, rng: &rng)]) : nil
    }

    public var children: [(String, any Module)] {
        var list: [(String, any Module)] = []
        if let attentions { list.append(("attentions", attentions)) }
        list.append(("resnets", resnets))
        if let downsamplers { list.append(("downsamplers", downsamplers)) }
        return list
    }

    /// Returns the block's output and the states it hands to the skip connections.
    func callAsFunction(_ x: Tensor, temb: Tensor) -> (Tensor, [Tensor]) {
        var h = x
        var states: [Tensor] = []
        for i in 0..<resnets.count {
            h = resnets[i](h, temb: temb)
            if let attentions { h = attentions[i](h) }
            states.append(h)
        }
        if let downsamplers {
            h = downsamplers[0](h)
            states.append(h)
        }
        return (h, states)
    }
}

/// One level of the up path (`UpBlock2D` / `AttnUpBlock2D`): before each ResNet block, the matching skip
/// state from the down path is concatenated along channels; then an optional upsampler.
public final class UNetUpBlock: Module {
    public let resnets: ModuleList<ResnetBlock2D>
    public let attentions: ModuleList<AttentionBlock>?
    public let upsamplers: ModuleList<Upsample2D>?
    public var isTraining = true

    /// `skipChannels[i]` is the channel count of the skip state consumed by resnet i.
    init(inChannels: Int, skipChannels: [Int], outChannels: Int, attention: Bool, upsample: Bool,
         config: UNet2DConfig, random: RandomSource?, rng: inout SeededGenerator) {
        // Each ResNet block sees the previous output concatenated with one skip state.
        let inputs = skipChannels.enumerated().map { (i, skip) in (i == 0 ? inChannels : outChannels) + skip }
        (resnets, attentions) = makeLayers(inputs: inputs, outChannels: outChannels, attention: attention,
                                           config: config, random: random, rng: &rng)
        upsamplers = upsample ? ModuleList([Upsample2D(channels: outChannels, rng: &rng)]) : nil
    }

    public var children: [(String, any Module)] {
        var list: [(String, any Module)] = []
        if let attentions { list.append(("attentions", attentions)) }
        list.append(("resnets", resnets))
        if let upsamplers { list.append(("upsamplers", upsamplers)) }
        return list
    }

    /// `skips` is the shared stack of down-path states; this block pops one per ResNet block.
    func callAsFunction(_ x: Tensor, skips: inout [Tensor], temb: Tensor) -> Tensor {
        var h = x
        for i in 0..<resnets.count {
            h = resnets[i](Tensor.concat([h, skips.removeLast()], axis: 1), temb: temb)
            if let attentions { h = attentions[i](h) }
        }
        if let upsamplers { h = upsamplers[0](h) }
        return h
    }
}

/// The bottleneck (`UNetMidBlock2D`): ResNet, attention, ResNet at the lowest resolution.
public final class UNetMidBlock: Module {
    public let resnets: ModuleList<ResnetBlock2D>
    public let attentions: ModuleList<AttentionBlock>
    public var isTraining = true

    init(channels: Int, config: UNet2DConfig, random: RandomSource?, rng: inout SeededGenerator) {
        func resnet(_ rng: inout SeededGenerator) -> ResnetBlock2D {
            ResnetBlock2D(inChannels: channels, outChannels: channels, tembChannels: config.timeEmbedDim,
                          groups: config.normNumGroups, eps: config.normEps, dropout: config.dropout, random: random, rng: &rng)
        }
        let first = resnet(&rng)
        attentions = ModuleList([AttentionBlock(channels: channels, headDim: config.attentionHeadDim, groups: config.normNumGroups,
                                                eps: config.normEps, rng: &rng)])
        resnets = ModuleList([first, resnet(&rng)])
    }

    public var children: [(String, any Module)] { [("attentions", attentions), ("resnets", resnets)] }

    func callAsFunction(_ x: Tensor, temb: Tensor) -> Tensor {
        resnets[1](attentions[0](resnets[0](x, temb: temb)), temb: temb)
    }
}
