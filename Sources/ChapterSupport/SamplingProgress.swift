import Diffusion
import TensorCore

/// Samples `labels` in batches (`TrainedModel.generateInBatches`) behind one progress bar: what every
/// command that draws many images shows while it works.
/// - returns: `[labels.count, C, H, W]` in about [-1, 1]
public func generateWithProgress(_ trained: TrainedModel, labels: [Int], settings: SamplingSettings, seed: UInt64,
                                 batch: Int = TrainedModel.sampleBatch) throws -> Tensor {
    let batches = (labels.count + batch - 1) / batch
    let bar = ProgressBar(total: settings.stepCount(timesteps: trained.schedule.steps) * batches, label: "sample",
                          itemsPerStep: min(batch, labels.count))
    defer { bar.finish() }
    return try trained.generateInBatches(labels: labels, settings: settings, seed: seed, batch: batch) { done, _ in bar.update(step: done) }
}
