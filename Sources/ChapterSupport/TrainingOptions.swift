import ArgumentParser
import Diffusion
import Foundation
import TensorCore

/// The options of a diffusion training run (chapters 3 and 4).
public struct DiffusionTrainingOptions: ParsableArguments {
    @Option(help: "Noise schedule: linear (Ho et al.) or cosine (Nichol & Dhariwal).")
    public var schedule: NoiseSchedule.Kind = .linear

    @Option(help: "Diffusion steps T.")
    public var timesteps = 1000

    @Option(help: "Loss on the predicted noise: mse or l1.")
    public var loss: DiffusionObjective.Loss = .mse

    @Option(help: "Peak learning rate (Adam, warmup then cosine decay).")
    public var lr: Float = 2e-3

    @Option(help: "Images per training step.")
    public var batchSize = 128

    @Option(help: "Passes over the training images.")
    public var epochs: Int?

    @Option(help: "Stop training after this many minutes.")
    public var minutes: Double?

    @Option(help: "EMA decay for the sampling weights (warmed up: min(decay, (1 + n) / (10 + n))).")
    public var emaDecay: Float = 0.999

    @Option(help: "Resume a run from its checkpoint (recipe, weights, optimizer, EMA, step and RNG come from the file; a larger --epochs extends the plan and its learning-rate schedule).")
    public var resume: String?

    @Option(help: "Fine-tune: start from this model's weights (model file or checkpoint; fresh optimizer, schedule and step count).")
    public var initFrom: String?

    public init() {}

    public func validate() throws {
        guard timesteps >= 10 && timesteps <= 10_000 else { throw ValidationError("--timesteps must be in 10...10000, got \(timesteps)") }
        guard lr > 0 && lr.isFinite else { throw ValidationError("--lr must be a positive number, got \(lr)") }
        guard batchSize >= 1 && batchSize <= 4096 else { throw ValidationError("--batch-size must be in 1...4096, got \(batchSize)") }
        if let epochs, epochs < 1 { throw ValidationError("--epochs must be at least 1, got \(epochs)") }
        if let minutes, !(minutes > 0) { throw ValidationError("--minutes must be positive, got \(minutes)") }
        if resume != nil && initFrom != nil { throw ValidationError("give --resume or --init-from, not both") }
        guard emaDecay >= 0 && emaDecay < 1 else { throw ValidationError("--ema-decay must be in [0, 1), got \(emaDecay)") }
    }

    /// The recipe these options describe.
    public func recipe(model: UNet2DConfig, seed: UInt64, limit: Int?, defaultEpochs: Int, labelDrop: Float = 0) -> DiffusionRecipe {
        var r = DiffusionRecipe()
        r.model = model
        r.schedule = schedule
        r.timesteps = timesteps
        r.loss = loss
        r.learningRate = lr
        r.batchSize = batchSize
        r.epochs = epochs ?? defaultEpochs
        r.emaDecay = emaDecay
        r.labelDropProbability = labelDrop
        r.seed = seed
        r.limit = limit
        return r
    }

    /// A new run from the flags, or the one in `--resume` (whose recipe wins; `--epochs`/`--minutes` extend it).
    public func makeTraining(model: UNet2DConfig, seed: UInt64, limit: Int?, defaultEpochs: Int, labelDrop: Float = 0,
                             trainCount: Int) throws -> DiffusionTraining {
        let perEpoch = { (r: DiffusionRecipe) in min(r.limit ?? trainCount, trainCount) / r.batchSize }
        guard let resume else {
            let r = recipe(model: model, seed: seed, limit: limit, defaultEpochs: defaultEpochs, labelDrop: labelDrop)
            let training = DiffusionTraining(recipe: r, stepsPerEpoch: perEpoch(r))
            if let initFrom {
                try training.initializeWeights(from: URL(fileURLWithPath: initFrom))
                print("Starting from the weights of \(initFrom)")
            }
            return training
        }
        let file = try SafeTensors.read(contentsOf: URL(fileURLWithPath: resume))
        let training = try DiffusionTraining.resume(from: file, epochs: epochs, stepsPerEpoch: perEpoch)
        print("Resuming \(resume) at step \(training.session.step)")
        return training
    }

    public var schedules: [(String, NoiseSchedule)] {
        [("linear", NoiseSchedule(.linear, steps: timesteps)), ("cosine", NoiseSchedule(.cosine, steps: timesteps))]
    }
}

extension NoiseSchedule.Kind: ExpressibleByArgument {}
extension DiffusionObjective.Loss: ExpressibleByArgument {}
