import Diffusion
import TensorCore

/// Runs `body` with `forward`, one sampling-style forward pass of `model` on a fixed batch of `batch` random
/// 28x28 images at t = 500: eval mode, no graph, activations reused from a `StoragePool` as in `sampleImages`.
/// One warm-up pass runs first; the model's training mode is restored afterwards.
public func withSamplingPasses<R>(_ model: some DenoisingModel, batch: Int = 100, labels: [Int]? = nil,
                                  _ body: (_ forward: () -> Void) -> R) -> R {
    var rng = SeededGenerator(seed: 1)
    let x = Tensor.randomNormal([batch, 1, 28, 28], using: &rng)
    let t = [Float](repeating: 500, count: batch)
    let wasTraining = model.isTraining
    model.eval()
    defer { model.train(wasTraining) }
    let pool = StoragePool()
    func forward() { StoragePool.$current.withValue(pool) { _ = model(x, timesteps: t, classLabels: labels) } }
    return withoutGrad {
        forward()  // warm-up
        return body(forward)
    }
}

/// Forward passes per second on a batch of `batch` random 28x28 images, recording no graph (as in sampling).
public func forwardImagesPerSecond(_ model: some DenoisingModel, batch: Int = 100, repeats: Int = 3, labels: [Int]? = nil) -> Double {
    withSamplingPasses(model, batch: batch, labels: labels) { forward in
        let (_, seconds) = timed { for _ in 0..<repeats { forward() } }
        return Double(batch * repeats) / seconds
    }
}
