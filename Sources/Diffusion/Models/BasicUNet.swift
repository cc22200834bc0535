import TensorCore

/// Chapter 1's network: the smallest U-Net that works (the HF diffusion course, unit 1).
///
///     28x28  conv 1->32  ----------------------------- skip ----------------------------> + conv 32->1
///       | max-pool                                                                    ^ upsample
///     14x14  conv 32->64  --------------- skip -------------> + conv 64->32
///       | max-pool                                          ^ upsample
///      7x7   conv 64->64  -> conv 64->64
///
/// 5x5 convolutions with padding 2 keep the size; SiLU follows every convolution. Parameter names
/// (`down_layers.0.weight`, ...) match the PyTorch module, so its state_dict loads as it is.
/// Explained in Chapters/01-Basic.md.
public final class BasicUNet: DenoisingModel {
    public let downLayers: ModuleList<Conv2d>
    public let upLayers: ModuleList<Conv2d>
    public var isTraining = true

    public init(inChannels: Int = 1, outChannels: Int = 1, rng: inout SeededGenerator) {
        downLayers = ModuleList([
            Conv2d(inChannels, 32, kernelSize: 5, padding: 2, rng: &rng),
            Conv2d(32, 64, kernelSize: 5, padding: 2, rng: &rng),
            Conv2d(64, 64, kernelSize: 5, padding: 2, rng: &rng),
        ])
        upLayers = ModuleList([
            Conv2d(64, 64, kernelSize: 5, padding: 2, rng: &rng),
            Conv2d(64, 32, kernelSize: 5, padding: 2, rng: &rng),
            Conv2d(32, outChannels, kernelSize: 5, padding: 2, rng: &rng),
        ])
    }

    public var children: [(String, any Module)] { [("down_layers", downLayers), ("up_layers", upLayers)] }

    /// x: `[N, 1, 28, 28]` -> `[N, 1, 28, 28]`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        var h = x
        var skips: [Tensor] = []
        for (i, conv) in downLayers.items.enumerated() {
            h = conv(h).silu()                 // [N, 32, 28, 28], [N, 64, 14, 14], [N, 64, 7, 7]
            if i < 2 {
                skips.append(h)
                h = h.maxPool2d(2)             // halve the resolution
            }
        }
        for (i, conv) in upLayers.items.enumerated() {
            if i > 0 {
                h = h.upsampleNearest(2) + skips.removeLast()   // back up, plus what the down path saw here
            }
            h = conv(h).silu()                 // [N, 64, 7, 7], [N, 32, 14, 14], [N, 1, 28, 28]
        }
        return h
    }

    /// BasicUNet ignores the timestep and class: it only ever sees "some noisy image".
    public func callAsFunction(_ x: Tensor, timesteps: [Float], classLabels: [Int]?) -> Tensor { self(x) }
}
