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
    public var batchSize = 128
    public var epochs = 1
    public var emaDecay: Float = 0.999
    /// Classifier-free guidance training: the probability a label is replaced by the null class.
    public var labelDropProbability: Float = 0
    public var seed: UInt64 = 0
    public var limit: Int?

    public init() {}

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
    public let recipe: DiffusionRecipe
    public let schedule: NoiseSchedule
    public let objective: DiffusionObjective
    public let session: TrainingSession<UNet2DModel>

    public init(recipe: DiffusionRecipe, stepsPerEpoch: Int) {
        self.recipe = recipe
        schedule = NoiseSchedule(recipe.schedule, steps: recipe.timesteps)
        objective = DiffusionObjective(schedule: schedule, loss: recipe.loss, labelDropProbability: recipe.labelDropProbability,
                                       nullClass: recipe.nullClass)
        var rng = SeededGenerator(seed: recipe.seed)
        let dropout = RandomSource(rng.split())
        let model = UNet2DModel(recipe.model, random: dropout, rng: &rng)
        let lr = LearningRateSchedule(recipe.learningRateShape, base: recipe.learningRate,
                                      totalSteps: stepsPerEpoch * recipe.epochs, warmupSteps: recipe.warmupSteps, finalFraction: 0.05)
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
    public func initializeWeights(from url: URL) throws {
        let trained = try TrainedModel.load(contentsOf: url)
        let (mine, theirs) = (recipe.model.numClassEmbeds ?? 0, trained.recipe.model.numClassEmbeds ?? 0)
        guard mine == theirs else { throw CheckpointError.classCount(source: url.displayPath, expected: mine, found: theirs) }
        var weights = trained.model.stateDictFile()
        weights.source = url.displayPath
        try session.model.load(from: weights)
        session.ema?.load(session.model.parameters.map(\.value), updates: 0)
    }

    /// One step on a batch of images in [-1, 1] (and their labels, for a conditional model).
    public func train(images: Tensor, labels: [Int]) throws -> Float {
        try session.train { model, rng in
            objective.loss(model: model, x0: images, labels: recipe.isConditional ? labels : nil, rng: &rng)
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
    public func run(data: MNIST, budget: TrainingBudget, checkpointURL: URL?, checkpointEvery: Int = 500,
                    extraMetadata: @escaping () -> [String: String] = { [:] }) throws -> [EpochSummary] {
        let summaries = try runEpochs(data: data, batchSize: recipe.batchSize, budget: budget, seed: recipe.seed,
                                      range: .minusOneToOne, startStep: session.step, label: "train") { images, labels in
            let loss = try self.train(images: images, labels: labels)
            if let checkpointURL, checkpointEvery > 0, self.session.step % checkpointEvery == 0 {
                try self.writeCheckpoint(to: checkpointURL, extra: extraMetadata())
            }
            return loss
        }
        if let checkpointURL { try writeCheckpoint(to: checkpointURL, extra: extraMetadata()) }
        return summaries
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
