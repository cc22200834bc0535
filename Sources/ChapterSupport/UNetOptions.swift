import ArgumentParser
import Diffusion

/// Options that shape a `UNet2DModel` (chapters 2 to 4).
public struct UNetOptions: ParsableArguments {
    @Option(help: "Channels of each U-Net level, comma-separated (diffusers' block_out_channels).")
    public var channels = "32,64,64"

    @Option(help: "ResNet blocks per down level (the up levels get one more).")
    public var layersPerBlock = 2

    @Option(help: "Levels with self-attention, comma-separated indices from the top (0 = 28x28). E.g. '1,2' or '2'.")
    public var attention = "1,2"

    @Option(help: "GroupNorm groups (must divide every channel count).")
    public var groups = 32

    @Option(help: "Dropout probability inside the ResNet blocks during training.")
    public var dropout: Float = 0

    public init() {}

    public func validate() throws { _ = try config() }

    /// The configuration these options describe (diffusers' MNIST configuration by default).
    public func config(classes: Int? = nil) throws -> UNet2DConfig {
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
