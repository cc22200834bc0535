import Foundation
import TensorCore

/// Everything that defines a diffusion training run, saved in its checkpoints (so `--resume` needs no flags)
/// and shipped beside a trained model as its recipe.
public struct DiffusionRecipe: Codable, Sendable, Equatable {
    public var model = UNet2DConfig()
    public var schedule: NoiseSchedule.Kind = .linear
    public var timesteps = 1000
    public var loss: DiffusionObjective.Loss = .mse
    public var learningRate: Float = 1e-3
    public var learningRateShape: LearningRateSchedule.Shape = .cosine
    public var warmupSteps = 100
    /// Images per micro-batch (one forward and backward pass).
    public var batchSize = 128
    /// Gradient accumulation: micro-batches per optimizer step (nil or 1: none). A step sees
    /// `batchSize * accumulate` images with the memory of `batchSize`.
    public var accumulate: Int?
    public var epochs = 1
    /// Train exactly this many optimizer steps instead of whole epochs (the learning-rate schedule then spans
    /// them): how a time budget becomes a reproducible run (`FineTuning` turns its minutes into steps).
    public var steps: Int?
    public var emaDecay: Float = 0.999
    /// Classifier-free guidance training: the probability a label is replaced by the null class.
    public var labelDropProbability: Float = 0
    /// Min-SNR-gamma loss weighting (`DiffusionObjective.minSNRWeight`); nil: the unweighted loss.
    public var minSNRGamma: Float?
    public var seed: UInt64 = 0
    public var limit: Int?

    public init() {}

    /// Images per optimizer step: `batchSize` times the micro-batches.
    public var imagesPerStep: Int { batchSize * (accumulate ?? 1) }

    /// The null class for guidance: the last class embedding (nil for an unconditional model).
    public var nullClass: Int? { model.numClassEmbeds.map { $0 - 1 } }
    public var isConditional: Bool { model.numClassEmbeds != nil }

    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }

    public static func from(json: String, source: String) throws -> DiffusionRecipe {
        do { return try JSONDecoder().decode(DiffusionRecipe.self, from: Data(json.utf8)) } catch {
            throw CheckpointError.missingMetadata(source: source, key: "recipe (unreadable: \(error))")
        }
    }
}

/// A diffusion model being trained under a recipe: the session (model, Adam, EMA, generators) plus the
/// objective. Checkpoints written by `checkpoint()` carry the recipe and resume exactly.
public final class DiffusionTraining {
    /// The recipe; a time budget's revised plan (`TimeBudgetPlan`) updates its `steps`, so that a checkpoint
    /// resumes on the plan the run was following.
    public private(set) var recipe: DiffusionRecipe
    public let schedule: NoiseSchedule
    public let objective: DiffusionObjective
    public let session: TrainingSession<UNet2DModel>

    public init(recipe: DiffusionRecipe, stepsPerEpoch: Int) {
        self.recipe = recipe
        schedule = NoiseSchedule(recipe.schedule, steps: recipe.timesteps)
        objective = DiffusionObjective(schedule: schedule, loss: recipe.loss, labelDropProbability: recipe.labelDropProbability,
                                       nullClass: recipe.nullClass, minSNRGamma: recipe.minSNRGamma)
        var rng = SeededGenerator(seed: recipe.seed)
        let dropout = RandomSource(rng.split())
        let model = UNet2DModel(recipe.model, random: dropout, rng: &rng)
        let lr = LearningRateSchedule(recipe.learningRateShape, base: recipe.learningRate,
                                      totalSteps: recipe.steps ?? stepsPerEpoch * recipe.epochs, warmupSteps: recipe.warmupSteps, finalFraction: 0.05)
        session = TrainingSession(model: model, optimizer: Adam(model.parameters, learningRate: recipe.learningRate), schedule: lr,
                                  ema: EMA(model.parameters, maxDecay: recipe.emaDecay), rng: rng.split(), dropout: dropout)
    }

    /// Restores a training run from its checkpoint file (recipe, weights, optimizer, EMA, step, generators).
    /// - epochs: extend the plan to this many epochs (the learning-rate schedule is stretched to the new end);
    ///   nil keeps the recipe's, which continues exactly as the uninterrupted run would have.
    public static func resume(from file: SafeTensors, epochs: Int? = nil, stepsPerEpoch: (DiffusionRecipe) -> Int) throws -> DiffusionTraining {
        guard let text = file.metadata["recipe"] else { throw CheckpointError.missingMetadata(source: file.source, key: "recipe") }
        var recipe = try DiffusionRecipe.from(json: text, source: file.source)
        if let epochs { recipe.epochs = max(recipe.epochs, epochs) }
        let training = DiffusionTraining(recipe: recipe, stepsPerEpoch: stepsPerEpoch(recipe))
        try training.session.resume(from: file)
        return training
    }

    /// Fine-tuning: starts from the weights of a trained model (a model file or a training checkpoint, whose EMA
    /// weights are taken). Only the weights: the optimizer, learning-rate schedule and step count stay fresh, and
    /// the EMA starts from the loaded weights. The architectures must match tensor for tensor.
    /// - Throws: `CheckpointError.classCount` when the class embeddings differ, `StateDictError` naming a tensor
    ///   that is missing, extra or misshaped.
    /// - Returns: warnings for what the weights were trained under that differs from this recipe (noise schedule,
    ///   T, loss): allowed, but the model then starts by predicting noise for another process.
    @discardableResult
    public func initializeWeights(from url: URL) throws -> [String] {
        try initializeWeights(from: try TrainedModel.load(contentsOf: url), source: url)
    }

    /// `initializeWeights(from:)` with the model already loaded from `url` (named in warnings and errors).
    @discardableResult
    public func initializeWeights(from trained: TrainedModel, source url: URL) throws -> [String] {
        var warnings: [String] = []
        let their = trained.recipe
        if their.schedule != recipe.schedule { warnings.append("\(url.displayPath) was trained with the \(their.schedule) schedule, this run uses \(recipe.schedule)") }
        if their.timesteps != recipe.timesteps { warnings.append("\(url.displayPath) was trained with T = \(their.timesteps), this run uses T = \(recipe.timesteps)") }
        if their.loss != recipe.loss { warnings.append("\(url.displayPath) was trained with the \(their.loss) loss, this run uses \(recipe.loss)") }
        let (mine, theirs) = (recipe.model.numClassEmbeds ?? 0, trained.recipe.model.numClassEmbeds ?? 0)
        guard mine == theirs else { throw CheckpointError.classCount(source: url.displayPath, expected: mine, found: theirs) }
        var weights = trained.model.stateDictFile()
        weights.source = url.displayPath
        try session.model.load(from: weights)
        session.ema?.load(session.model.parameters.map(\.value), updates: 0)
        return warnings
    }

    /// One optimizer step on a batch of images in [-1, 1] `[N, C, H, W]` (and their labels, for a conditional
    /// model). With `recipe.accumulate` = K > 1 the batch is cut into K micro-batches of N / K, whose gradients add up.
    public func train(images: Tensor, labels: [Int]) throws -> Float {
        let k = recipe.accumulate ?? 1
        let n = images.shape[0]
        precondition(n % k == 0, "DiffusionTraining.train: a batch of \(n) does not split into \(k) micro-batches")
        let micro = n / k
        return try session.train(microBatches: k) { model, j, rng in
            let x0 = k == 1 ? images : images.narrow(axis: 0, start: j * micro, length: micro)
            let c = recipe.isConditional ? Array(labels[j * micro..<(j + 1) * micro]) : nil
            return objective.loss(model: model, x0: x0, labels: c, rng: &rng)
        }
    }

    public func checkpoint(extra: [String: String] = [:]) -> SafeTensors {
        session.checkpoint(metadata: extra.merging(["recipe": recipe.json(), "model": "UNet2DModel", "kind": "training"]) { $1 })
    }

    /// A separate model holding the EMA weights, in evaluation mode, for sampling.
    public func samplingModel() -> UNet2DModel {
        var rng = SeededGenerator(seed: 0)
        let model = UNet2DModel(recipe.model, rng: &rng)
        session.samplingWeights(into: model)
        model.eval()
        return model
    }

    /// Trains for `budget` over `data`, writing a checkpoint to `checkpointURL` (atomically) every
    /// `checkpointEvery` steps and at the end. If the loss becomes NaN or infinite, training stops with
    /// `NonFiniteLossError` and the last checkpoint written before it is left untouched.
    /// With a `sampleLog`, a row of samples is drawn every `sampleLog.every` steps and at the end.
    /// A save interrupted by a kill leaves the previous checkpoint whole and a temporary file beside it; those
    /// leftovers are removed when the run starts.
    public func run(data: MNIST, budget: TrainingBudget, checkpointURL: URL?, checkpointEvery: Int = 500,
                    sampleLog: TrainingSampleLog? = nil,
                    extraMetadata: @escaping () -> [String: String] = { [:] }) throws -> [EpochSummary] {
        if let checkpointURL { AtomicFile.removeLeftovers(of: checkpointURL) }
        var budget = budget
        if let steps = recipe.steps { budget.steps = min(budget.steps ?? steps, steps) }
        let summaries = try runEpochs(data: data, batchSize: recipe.imagesPerStep, budget: budget, seed: recipe.seed,
                                      range: .minusOneToOne, startStep: session.step, label: "train",
                                      revised: { self.revisePlan(totalSteps: $0) }) { images, labels in
            let loss = try self.train(images: images, labels: labels)
            if let checkpointURL, checkpointEvery > 0, self.session.step % checkpointEvery == 0 {
                try self.writeCheckpoint(to: checkpointURL, extra: extraMetadata())
            }
            if let sampleLog, self.session.step % sampleLog.every == 0 { try sampleLog.record(self) }
            return loss
        }
        if let checkpointURL { try writeCheckpoint(to: checkpointURL, extra: extraMetadata()) }
        try sampleLog?.record(self)
        return summaries
    }

    /// A new length for the run: the learning-rate schedule decays over `totalSteps` from now on, and the recipe
    /// (saved in checkpoints) says so.
    public func revisePlan(totalSteps: Int) {
        recipe.steps = totalSteps
        session.schedule.totalSteps = max(totalSteps, 1)
    }

    /// Writes a checkpoint atomically, but never one with non-finite weights: a finite loss can still come
    /// with overflowing gradients, and a poisoned checkpoint would replace the last good one.
    public func writeCheckpoint(to url: URL, extra: [String: String] = [:]) throws {
        for (name, p) in session.model.namedParameters() where !p.value.withUnsafeBufferPointer({ $0.allSatisfy(\.isFinite) }) {
            throw NonFiniteLossError(step: session.step, value: .nan, detail: "weight \(name) is no longer finite")
        }
        try checkpoint(extra: extra).write(to: url)
    }
}
