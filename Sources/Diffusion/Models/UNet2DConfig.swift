/// The configuration of a `UNet2DModel`, with diffusers' `config.json` key names so a config can travel
/// between the two. The defaults are the MNIST configuration of the HF diffusion course.
public struct UNet2DConfig: Codable, Sendable, Equatable {
    public enum DownBlockType: String, Codable, Sendable { case down = "DownBlock2D", attnDown = "AttnDownBlock2D" }
    public enum UpBlockType: String, Codable, Sendable { case up = "UpBlock2D", attnUp = "AttnUpBlock2D" }

    public var sampleSize = 28
    public var inChannels = 1
    public var outChannels = 1
    public var layersPerBlock = 2
    public var blockOutChannels = [32, 64, 64]
    public var downBlockTypes: [DownBlockType] = [.down, .attnDown, .attnDown]
    public var upBlockTypes: [UpBlockType] = [.attnUp, .attnUp, .up]
    public var normNumGroups = 32
    public var normEps: Float = 1e-5
    public var attentionHeadDim = 8
    public var dropout: Float = 0
    /// Number of class embeddings (nil: unconditional). For guidance, one more than the classes: the last is "no class".
    public var numClassEmbeds: Int? = nil

    public init() {}

    /// Width of the time (and class) embedding: 4x the first block's channels.
    public var timeEmbedDim: Int { blockOutChannels[0] * 4 }

    enum CodingKeys: String, CodingKey {
        case sampleSize = "sample_size", inChannels = "in_channels", outChannels = "out_channels"
        case layersPerBlock = "layers_per_block", blockOutChannels = "block_out_channels"
        case downBlockTypes = "down_block_types", upBlockTypes = "up_block_types"
        case normNumGroups = "norm_num_groups", normEps = "norm_eps", attentionHeadDim = "attention_head_dim"
        case dropout, numClassEmbeds = "num_class_embeds"
    }
}

extension UNet2DConfig {
    /// This configuration with the input and output channels and the sample size of `data`'s images
    /// (1 x 28 x 28 for MNIST, 3 x 32 x 32 for CIFAR-10).
    public func fitted(to data: MNIST) -> UNet2DConfig {
        var c = self
        c.inChannels = data.channels
        c.outChannels = data.channels
        c.sampleSize = data.rows
        return c
    }
}
