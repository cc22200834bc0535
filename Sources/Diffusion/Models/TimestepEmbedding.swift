import Foundation
import TensorCore

/// Sinusoidal timestep features (Vaswani et al. 2017; diffusers' `Timesteps` with flip_sin_to_cos, shift 0):
///   freq_i = exp(-ln(10000) i / half),  i = 0..<half,  half = dim / 2
///   emb(t) = [cos(t freq_0), ..., cos(t freq_{half-1}), sin(t freq_0), ..., sin(t freq_{half-1})]
/// Each timestep becomes a vector the network can read: nearby t give similar vectors. Returns `[N, dim]`.
public func sinusoidalTimestepFeatures(_ timesteps: [Float], dim: Int, maxPeriod: Float = 10000) -> Tensor {
    let half = dim / 2
    let freqs = (0..<half).map { Foundation.exp(-Foundation.log(maxPeriod) * Float($0) / Float(half)) }
    return Tensor(shape: [timesteps.count, dim]) { out in
        for (n, t) in timesteps.enumerated() {
            for i in 0..<half {
                let angle = t * freqs[i]
                out[n * dim + i] = Foundation.cos(angle)
                out[n * dim + half + i] = Foundation.sin(angle)
            }
        }
    }
}

/// The time MLP (diffusers' `TimestepEmbedding`): linear_1, SiLU, linear_2. `[N, 32] -> [N, 128]`.
/// Explained in Chapters/02-UNet2D.md.
public final class TimestepEmbedding: Module {
    public let linear1: Linear
    public let linear2: Linear
    public var isTraining = true

    public init(inChannels: Int, embedDim: Int, rng: inout SeededGenerator) {
        linear1 = Linear(inChannels, embedDim, rng: &rng)
        linear2 = Linear(embedDim, embedDim, rng: &rng)
    }

    public var children: [(String, any Module)] { [("linear_1", linear1), ("linear_2", linear2)] }

    public func callAsFunction(_ x: Tensor) -> Tensor { linear2(linear1(x).silu()) }
}
