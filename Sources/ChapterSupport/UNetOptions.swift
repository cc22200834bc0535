import ArgumentParser
import Diffusion

/// Starting points for the U-Net options.
public enum UNetPreset: String, ExpressibleByArgument, CaseIterable, Sendable {
    /// diffusers' MNIST configuration from the HF course: channels 32,64,64, 2 layers per block, attention at
    /// 14x14 and 7x7, GroupNorm 32. 1.7M parameters.
    case course
    /// Sized for a CPU: one layer per block, attention only at 7x7, GroupNorm 8 (see Chapters/03-DDPM.md).
    /// The shipped conditional model's architecture.
    case cpu
    /// The cpu preset at half the width (channels 16,32,32): a quarter of the cost per image, so a 15-minute run
    /// sees about 2.6x the images. Chapter 4's time-to-quality recipe ("Fifteen minutes of training").
    case narrow

    /// The configuration of this preset as it stands.
    public func config(classes: Int? = nil) -> UNet2DConfig {
        var config = UNet2DConfig()
        let v = values
        config.blockOutChannels = v.channels.split(separator: ",").compactMap { Int($0) }
        config.layersPerBlock = v.layers
        let attended = Set(v.attention.split(separator: ",").compactMap { Int($0) })
        let levels = config.blockOutChannels.count
        config.downBlockTypes = (0..<levels).map { attended.contains($0) ? .attnDown : .down }
        config.upBlockTypes = (0..<levels).reversed().map { attended.contains($0) ? .attnUp : .up }
        config.normNumGroups = v.groups
        config.numClassEmbeds = classes
        return config
    }

    var values: (channels: String, layers: Int, attention: String, groups: Int) {
        switch self {
        case .course: ("32,64,64", 2, "1,2", 32)
        case .cpu: ("32,64,64", 1, "2", 8)
        case .narrow: ("16,32,32", 1, "2", 8)
        }
    }
}

/// Options that shape a `UNet2DModel` (chapters 2 to 4). Unset options come from the preset.
public struct UNetOptions: ParsableArguments {
    @Option(help: "Starting configuration: course (diffusers' MNIST model), cpu (smaller, faster) or narrow (cpu at half the width).")
    public var preset: UNetPreset?

    @Option(help: "Channels of each U-Net level, comma-separated (diffusers' block_out_channels).")
    public var channels: String?

    @Option(help: "ResNet blocks per down level (the up levels get one more).")
    public var layersPerBlock: Int?

    @Option(help: "Levels with self-attention, comma-separated indices from the top (0 = 28x28), e.g. '1,2'; 'none' for none.")
    public var attention: String?

    @Option(help: "GroupNorm groups (must divide every channel count).")
    public var groups: Int?

    @Option(help: "Dropout probability inside the ResNet blocks during training.")
    public var dropout: Float = 0

    public init() {}

    /// True when no option names the architecture (so a fine-tune can take the one of the model it starts from).
    public var describesNoArchitecture: Bool {
        preset == nil && channels == nil && layersPerBlock == nil && attention == nil && groups == nil
    }

    public func validate() throws { _ = try config(defaultPreset: .course) }

    /// The configuration these options describe, starting from `preset` (or `defaultPreset`).
    public func config(defaultPreset: UNetPreset, classes: Int? = nil) throws -> UNet2DConfig {
        let base = (preset ?? defaultPreset).values
        let channels = self.channels ?? base.channels
        let layersPerBlock = self.layersPerBlock ?? base.layers
        let attention = (self.attention ?? base.attention) == "none" ? "" : (self.attention ?? base.attention)
        let groups = self.groups ?? base.groups
        let widths = channels.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !widths.isEmpty, widths.allSatisfy({ ($0 ?? 0) > 0 }) else {
            throw ValidationError("--channels must be positive integers separated by commas, got '\(channels)'")
        }
        let w = widths.map { $0! }
        guard w.count <= 3 else { throw ValidationError("--channels: at most 3 levels for 28x28 images (28, 14, 7), got \(w.count)") }
        let attended = attention.isEmpty ? [] : attention.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard attended.allSatisfy({ $0 != nil && $0! >= 0 && $0! < w.count }) else {
            throw ValidationError("--attention must list level indices in 0..<\(w.count), got '\(attention)'")
        }
        guard layersPerBlock >= 1 && layersPerBlock <= 4 else { throw ValidationError("--layers-per-block must be in 1...4, got \(layersPerBlock)") }
        guard groups >= 1, w.allSatisfy({ $0 % groups == 0 }), (w[0] * 4) % groups == 0 else {
            throw ValidationError("--groups \(groups) must divide every channel count in \(w)")
        }
        guard dropout >= 0 && dropout < 1 else { throw ValidationError("--dropout must be in [0, 1), got \(dropout)") }
        var config = UNet2DConfig()
        config.blockOutChannels = w
        config.layersPerBlock = layersPerBlock
        let set = Set(attended.map { $0! })
        config.downBlockTypes = (0..<w.count).map { set.contains($0) ? .attnDown : .down }
        config.upBlockTypes = (0..<w.count).reversed().map { set.contains($0) ? .attnUp : .up }
        config.normNumGroups = groups
        config.dropout = dropout
        config.numClassEmbeds = classes
        return config
    }
}
