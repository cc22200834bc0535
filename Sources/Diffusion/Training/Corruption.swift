import TensorCore

/// Chapter 1's corruption: mix an image with uniform noise by an amount a in [0, 1],
///   corrupt(x, a) = x (1 - a) + n a,   n ~ U(0, 1)
/// a = 0 is the clean image, a = 1 pure noise. (The HF diffusion course, unit 1.)
/// - x: `[N, C, H, W]` in [0, 1]; amounts: N values -> `[N, C, H, W]`.
/// Explained in Chapters/01-Basic.md.
public func corrupt(_ x: Tensor, amounts: [Float], noise: Tensor) -> Tensor {
    precondition(amounts.count == x.shape[0] && noise.shape == x.shape, "corrupt: \(amounts.count) amounts, noise \(noise.shape), for x \(x.shape)")
    let a = Tensor(shape: [x.shape[0], 1, 1, 1], scalars: amounts)
    return x * (1 - a) + noise * a
}

/// The one-shot denoising objective of chapters 1 and 2: predict the clean x from corrupt(x, a), a ~ U(0, 1).
/// Returns the MSE loss (recorded) for one batch.
/// Explained in Chapters/01-Basic.md.
public func oneShotDenoisingLoss(model: some DenoisingModel, x: Tensor, rng: inout SeededGenerator) -> Tensor {
    let n = x.shape[0]
    let amounts = (0..<n).map { _ in rng.nextUniform() }
    let noisy = corrupt(x, amounts: amounts, noise: .uniform(x.shape, using: &rng))
    // The UNet2DModel is told timestep 0: one-shot denoising has no schedule.
    let prediction = model(noisy, timesteps: Array(repeating: 0, count: n), classLabels: nil)
    return Tensor.mseLoss(prediction, x)
}

/// Chapter 1's iterative sampler: start from noise and, at step i of n, move the image 1/(n - i) of the way
/// toward the model's prediction of the clean image. `[N, C, H, W]` in [0, 1].
/// Explained in Chapters/01-Basic.md.
public func iterativeDenoise(model: some DenoisingModel, count: Int, steps: Int, size: Int = 28,
                             rng: inout SeededGenerator) -> [Tensor] {
    withoutGrad {
        var x = Tensor.uniform([count, 1, size, size], using: &rng)
        var history = [x]
        for i in 0..<steps {
            let prediction = model(x, timesteps: Array(repeating: 0, count: count), classLabels: nil)
            let mix = 1 / Float(steps - i)
            x = x * (1 - mix) + prediction * mix
            history.append(x)
        }
        return history
    }
}
