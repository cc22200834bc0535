import Foundation
import TensorCore

/// Samples drawn while a model trains: every `every` optimizer steps, one row of images for the same classes
/// and the same noise (a fixed seed) from the EMA weights, appended to a PNG. Read top to bottom, the rows show
/// what the model has learned so far: a fine-tuned MNIST model's strokes turning into shoes and shirts.
public final class TrainingSampleLog {
    /// One class per column (ignored by an unconditional model).
    public let labels: [Int]
    public let every: Int
    public let settings: SamplingSettings
    public let seed: UInt64
    public let url: URL
    public let columnLabels: [String]?
    /// (optimizer step, images `[labels.count, C, H, W]`), oldest first.
    public private(set) var rows: [(step: Int, images: Tensor)] = []

    /// - every: log after every this many optimizer steps (and at the end of training).
    /// - settings: how to sample (a few solver steps keep it cheap: 10 classes x 10 steps is about a second).
    public init(url: URL, labels: [Int] = Array(0...9), every: Int, settings: SamplingSettings = .defaults, seed: UInt64 = 0,
                columnLabels: [String]? = nil) {
        precondition(every >= 1 && !labels.isEmpty, "TrainingSampleLog: every must be at least 1 and labels not empty")
        self.url = url
        self.labels = labels
        self.every = every
        self.settings = settings
        self.seed = seed
        self.columnLabels = columnLabels
    }

    /// Samples the current EMA weights as a new row (unless this step is logged already) and rewrites the PNG.
    public func record(_ training: DiffusionTraining) throws {
        let step = training.session.step
        guard rows.last?.step != step else { return }
        let trained = TrainedModel(model: training.samplingModel(), recipe: training.recipe)
        var settings = self.settings
        settings.steps = min(settings.steps, trained.schedule.steps)
        rows.append((step, try trained.generate(labels: labels, settings: settings, seed: seed).images))
        try image().writePNG(to: url)
    }

    /// Every row so far, labelled with its step.
    public func image(scale: Int = 2) -> RGBImage {
        ImageGrid.picture(Tensor.concat(rows.map { $0.images.clamped(-1, 1) }, axis: 0), columns: labels.count, range: -1...1,
                          scale: scale, rowLabels: rows.map { "step \($0.step)" }, columnLabels: columnLabels)
    }
}
