import Foundation
import TensorCore

/// A trained diffusion model ready to sample: the network (with its EMA weights), its recipe and schedule.
///
/// Two file layouts load: a *model file* (tensors under diffusers' names, as `diffusion_pytorch_model.safetensors`,
/// the recipe in the metadata), which is what ships, and a *training checkpoint* (`model.*`, `ema.*`, ...),
/// from which the EMA weights are taken.
/// Explained in Chapters/04-Conditional.md.
public struct TrainedModel: @unchecked Sendable {
    public let model: UNet2DModel
    public let recipe: DiffusionRecipe
    public let schedule: NoiseSchedule
    public let metadata: [String: String]

    public init(model: UNet2DModel, recipe: DiffusionRecipe, metadata: [String: String] = [:]) {
        self.model = model
        self.recipe = recipe
        self.schedule = NoiseSchedule(recipe.schedule, steps: recipe.timesteps)
        self.metadata = metadata
        model.eval()
    }

    public static func load(contentsOf url: URL) throws -> TrainedModel {
        let file = try SafeTensors.read(contentsOf: url)
        guard let text = file.metadata["recipe"] else { throw CheckpointError.missingMetadata(source: file.source, key: "recipe") }
        let recipe = try DiffusionRecipe.from(json: text, source: file.source)
        var rng = SeededGenerator(seed: 0)
        let model = UNet2DModel(recipe.model, rng: &rng)
        if file.metadata["kind"] == "training" {
            // The EMA average of the parameters; buffers (none in this model) from the live weights.
            var weights = file.subset(prefix: "ema.")
            for name in model.namedBuffers().map(\.name) {
                if let entry = file["model." + name] { weights.set(name, entry) }
            }
            try model.load(from: weights)
        } else {
            try model.load(from: file)
        }
        return TrainedModel(model: model, recipe: recipe, metadata: file.metadata)
    }

    /// Loads a class-conditional model, as every command that asks for a class needs: a typed error names the
    /// file when it holds an unconditional model or (with `classes`) another number of classes.
    public static func loadConditional(contentsOf url: URL, classes: Int? = nil) throws -> TrainedModel {
        let trained = try load(contentsOf: url)
        guard trained.isConditional else {
            throw CheckpointError.wrongModel(source: url.relativePath, expected: classes.map { "class-conditional UNet2DModel with \($0) classes" } ?? "class-conditional UNet2DModel",
                                             found: classes == nil ? "unconditional UNet2DModel" : "an unconditional model")
        }
        if let classes, trained.classCount != classes {
            throw CheckpointError.wrongModel(source: url.relativePath, expected: "class-conditional UNet2DModel with \(classes) classes",
                                             found: "\(trained.classCount) classes")
        }
        return trained
    }

    /// The number of images per batch of `generateInBatches` unless told otherwise.
    public static let sampleBatch = 250

    /// Writes the sampling weights of a training run as a model file (EMA weights, diffusers names).
    public static func export(_ training: DiffusionTraining, to url: URL, metadata: [String: String] = [:]) throws {
        let sampling = training.samplingModel()
        var file = sampling.stateDictFile()
        file.metadata = metadata.merging(["recipe": training.recipe.json(), "model": "UNet2DModel", "kind": "model",
                                          "step": String(training.session.step)]) { $1 }
        try file.write(to: url)
    }

    public var isConditional: Bool { recipe.isConditional }
    /// The real classes (the null class excluded).
    public var classCount: Int { (recipe.model.numClassEmbeds ?? 1) - 1 }

    /// Generates one image per label. `[labels.count, C, H, W]` in about [-1, 1].
    /// - settings: sampler, steps and guidance scale w (0: plain conditional); checked against the model's T.
    public func generate(labels: [Int], settings: SamplingSettings = .defaults, seed: UInt64, recordEvery: Int = 0,
                         progress: ((Int, Int) -> Void)? = nil) throws(SamplingError) -> (images: Tensor, trajectory: SamplingTrajectory) {
        var rng = SeededGenerator(seed: seed)
        let sampler = try settings.makeSampler(schedule: schedule)
        let cfg = recipe.nullClass.map { ClassifierFreeGuidance(scale: settings.guidance, nullClass: $0, interval: settings.guidanceInterval) }
        let size = recipe.model.sampleSize
        return sampleImages(model: model, sampler: sampler, shape: [labels.count, recipe.model.inChannels, size, size],
                            labels: isConditional ? labels : nil, guidance: cfg, rng: &rng, recordEvery: recordEvery, progress: progress)
    }

    /// Samples many images in batches of at most `batch`, so memory stays flat however many are asked for (a
    /// guided batch of 250 is a forward batch of 500). Batch b starts from seed `seed + its first index`, so a
    /// count of images is always the same images whatever is done with them (`evaluate`, `export`).
    /// - progress: (steps done, steps in all) over every batch.
    /// - returns: `[labels.count, C, H, W]` in about [-1, 1]
    public func generateInBatches(labels: [Int], settings: SamplingSettings = .defaults, seed: UInt64, batch: Int = sampleBatch,
                                  progress: ((Int, Int) -> Void)? = nil) throws(SamplingError) -> Tensor {
        precondition(batch >= 1 && !labels.isEmpty, "generateInBatches: batch must be at least 1 and labels not empty")
        let total = settings.stepCount(timesteps: schedule.steps)
        let starts = Array(stride(from: 0, to: labels.count, by: batch))
        var parts: [Tensor] = []
        for (index, start) in starts.enumerated() {
            let chunk = Array(labels[start..<min(start + batch, labels.count)])
            parts.append(try generate(labels: chunk, settings: settings, seed: seed &+ UInt64(start)) { done, _ in
                progress?(index * total + done, total * starts.count)
            }.images)
        }
        return Tensor.concat(parts, axis: 0)
    }
}
