import TensorCore

/// A small classifier of *noisy* digits, told the timestep: p(c | x_t, t), as classifier guidance needs
/// (Dhariwal & Nichol train theirs on x_t ~ q(x_t | x_0) at every t; theirs is half a U-Net, this one is
/// `MNISTClassifier`'s shape with the timestep added to each conv layer's channels):
///
///     t -> sinusoidal features (32) -> linear (64) SiLU = e                     (as the U-Net's time embedding)
///     [N, 1, 28, 28] -> conv 3x3 (32) + linear(e) ReLU -> max-pool -> [N, 32, 14, 14]
///                    -> conv 3x3 (64) + linear(e) ReLU -> max-pool -> [N, 64, 7, 7]
///                    -> flatten [N, 3136] -> linear (64) ReLU -> linear (10) = logits
/// Explained in Chapters/06-Guidance.md.
public final class NoiseAwareClassifier: Module {
    public let time: Linear
    public let conv1: Conv2d
    public let shift1: Linear
    public let conv2: Conv2d
    public let shift2: Linear
    public let fc1: Linear
    public let fc2: Linear
    public var isTraining = true

    public static let timeFeatures = 32

    public init(rng: inout SeededGenerator) {
        time = Linear(Self.timeFeatures, 64, rng: &rng)
        conv1 = Conv2d(1, 32, kernelSize: 3, padding: 1, rng: &rng)
        shift1 = Linear(64, 32, rng: &rng)
        conv2 = Conv2d(32, 64, kernelSize: 3, padding: 1, rng: &rng)
        shift2 = Linear(64, 64, rng: &rng)
        fc1 = Linear(64 * 7 * 7, 64, rng: &rng)
        fc2 = Linear(64, 10, rng: &rng)
    }

    public var children: [(String, any Module)] {
        [("time", time), ("conv1", conv1), ("shift1", shift1), ("conv2", conv2), ("shift2", shift2), ("fc1", fc1), ("fc2", fc2)]
    }

    /// Class logits `[N, 10]` of x_t `[N, 1, 28, 28]` at timesteps t (N values, 0-based).
    public func callAsFunction(_ x: Tensor, timesteps: [Float]) -> Tensor {
        let n = x.shape[0]
        precondition(timesteps.count == n, "NoiseAwareClassifier: \(timesteps.count) timesteps for a batch of \(n)")
        let e = time(sinusoidalTimestepFeatures(timesteps, dim: Self.timeFeatures)).silu()          // [N, 64]
        let h1 = (conv1(x) + shift1(e).reshaped([n, 32, 1, 1])).relu().maxPool2d(2)                  // [N, 32, 14, 14]
        let h2 = (conv2(h1) + shift2(e).reshaped([n, 64, 1, 1])).relu().maxPool2d(2)                 // [N, 64, 7, 7]
        return fc2(fc1(h2.reshaped([n, -1])).relu())
    }

    /// Predicted classes of x_t at timesteps t, in batches, with no graph.
    public func predict(_ x: Tensor, timesteps: [Int], batch: Int = 500) -> [Int] {
        eval()
        return withoutGrad {
            stride(from: 0, to: x.shape[0], by: batch).flatMap { start in
                let count = min(batch, x.shape[0] - start)
                return self(x.narrow(axis: 0, start: start, length: count),
                            timesteps: timesteps[start..<start + count].map(Float.init)).argmaxLastAxis()
            }
        }
    }
}
