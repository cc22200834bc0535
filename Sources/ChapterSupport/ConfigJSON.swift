import Diffusion
import Foundation

/// A model configuration as diffusers-style JSON (stored in checkpoint metadata under "config").
public func configJSON(_ config: UNet2DConfig) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return String(decoding: try encoder.encode(config), as: UTF8.self)
}

/// Reads back `configJSON`.
public func config(fromJSON text: String) throws -> UNet2DConfig {
    try JSONDecoder().decode(UNet2DConfig.self, from: Data(text.utf8))
}
