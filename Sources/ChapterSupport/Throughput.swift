import Diffusion
import TensorCore

/// Forward passes per second on a batch of `batch` random 28x28 images, recording no graph (as in sampling).
public func forwardImagesPerSecond(_ model: some DenoisingModel, batch: Int = 100, repeats: Int = 3, labels: [Int]? = nil) -> Double {
    var rng = SeededGenerator(seed: 1)
    let x = Tensor.randomNormal([batch, 1, 28, 28], using: &rng)
    let t = [Float](repeating: 500, count: batch)
    let wasTraining = model.isTraining
    model.eval()
    defer { model.train(wasTraining) }
    let pool = StoragePool()   // as sampleImages: activations reuse memory from one call to the next
    func forward() { StoragePool.$current.withValue(pool) { _ = model(x, timesteps: t, classLabels: labels) } }
    return withoutGrad {
        forward()      // warm-up
        let (_, seconds) = timed { for _ in 0..<repeats { forward() } }
        return Double(batch * repeats) / seconds
    }
}
