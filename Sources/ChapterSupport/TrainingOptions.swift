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

    @Option(help: "Loss on the predicted noise: mse or l1 (default: mse).")
    public var loss: DiffusionObjective.Loss?

    @Option(help: "Min-SNR-gamma loss weighting (Hang et al. 2023): timestep t weighted by min(SNR_t, gamma) / SNR_t; 0: off.")
    public var minSnrGamma: Float?

    @Option(help: "Peak learning rate (Adam, warmup then cosine decay). (default: the chapter's; chapter 3 2e-3, chapter 4 3e-3)")
    public var lr: Float?

    @Option(help: "Images per forward/backward pass (a micro-batch when --accumulate is above 1). (default: the chapter's; chapter 3 128, chapter 4 64)")
    public var batchSize: Int?

    @Option(help: "Gradient accumulation: micro-batches per optimizer step (a step then sees batch-size x K images).")
    public var accumulate = 1

    @Option(help: "Passes over the training images.")
    public var epochs: Int?

    @Option(help: "Minutes of training: a deadline, and alone also a plan (a few steps are timed here and the run takes as many steps as fit, the learning rate decaying over them; every 50 steps the plan is revised to the pace so far).")
    public var minutes: Double?

    @Option(help: "Train exactly this many optimizer steps (the learning rate decays over them; the same steps give the same run on any machine).")
    public var trainSteps: Int?

    @Option(help: "EMA decay for the sampling weights (warmed up: min(decay, (1 + n) / (10 + n))).")
    public var emaDecay: Float = 0.999

    @Option(help: "Resume a run from its checkpoint (recipe, weights, optimizer, EMA, step and RNG come from the file; a larger --epochs extends the plan and its learning-rate schedule).")
    public var resume: String?

    @Option(help: "Fine-tune: start from this model's weights (model file or checkpoint; fresh optimizer, schedule and step count).")
    public var initFrom: String?

    @Option(help: "Write the resumable checkpoint every N optimizer steps (atomically, so a killed run keeps the last one whole), and at the end.")
    public var checkpointEvery = 500

    @Option(help: "Every N optimizer steps, append a row of samples (fixed seed, one per class) to samples-during-training.png; 0: off.")
    public var sampleEvery = 200

    public init() {}

    /// The sample log `--sample-every` asks for, writing into `directory`.
    public func sampleLog(in directory: URL, labels: [Int], columnLabels: [String]?, seed: UInt64) -> TrainingSampleLog? {
        sampleEvery > 0 ? TrainingSampleLog(url: directory.appendingPathComponent("samples-during-training.png"), labels: labels,
                                            every: sampleEvery, seed: seed, columnLabels: columnLabels) : nil
    }

    public func validate() throws {
        guard timesteps >= 10 && timesteps <= 10_000 else { throw ValidationError("--timesteps must be in 10...10000, got \(timesteps)") }
        if let lr, !(lr > 0 && lr.isFinite) { throw ValidationError("--lr must be a positive number, got \(lr)") }
        if let batchSize, !(1...4096).contains(batchSize) { throw ValidationError("--batch-size must be in 1...4096, got \(batchSize)") }
        guard checkpointEvery >= 1 else { throw ValidationError("--checkpoint-every must be at least 1, got \(checkpointEvery)") }
        guard sampleEvery >= 0 else { throw ValidationError("--sample-every must be 0 (off) or more, got \(sampleEvery)") }
        guard accumulate >= 1 && accumulate <= 256 else { throw ValidationError("--accumulate must be in 1...256, got \(accumulate)") }
        if let epochs, epochs < 1 { throw ValidationError("--epochs must be at least 1, got \(epochs)") }
        if let minutes, !(minutes > 0) { throw ValidationError("--minutes must be positive, got \(minutes)") }
        if let trainSteps, !(1...10_000_000).contains(trainSteps) { throw ValidationError("--train-steps must be in 1...10000000, got \(trainSteps)") }
        if trainSteps != nil && (epochs != nil || minutes != nil) { throw ValidationError("give --train-steps, or --epochs and/or --minutes, not both") }
        if resume != nil && initFrom != nil { throw ValidationError("give --resume or --init-from, not both") }
        if let minSnrGamma, !(minSnrGamma >= 0 && minSnrGamma <= 1000) { throw ValidationError("--min-snr-gamma must be in 0...1000, got \(minSnrGamma)") }
        guard emaDecay >= 0 && emaDecay < 1 else { throw ValidationError("--ema-decay must be in [0, 1), got \(emaDecay)") }
    }

    /// The recipe these options describe.
    public func recipe(model: UNet2DConfig, seed: UInt64, limit: Int?, defaultEpochs: Int, defaultLoss: DiffusionObjective.Loss = .mse,
                       defaultBatchSize: Int = 128, defaultLearningRate: Float = 2e-3, labelDrop: Float = 0) -> DiffusionRecipe {
        var r = DiffusionRecipe()
        r.model = model
        r.schedule = schedule
        r.timesteps = timesteps
        r.loss = loss ?? defaultLoss
        r.learningRate = lr ?? defaultLearningRate
        r.batchSize = batchSize ?? defaultBatchSize
        r.accumulate = accumulate > 1 ? accumulate : nil
        r.epochs = epochs ?? defaultEpochs
        r.emaDecay = emaDecay
        r.labelDropProbability = labelDrop
        r.minSNRGamma = minSnrGamma.flatMap { $0 > 0 ? $0 : nil }
        r.seed = seed
        r.limit = limit
        return r
    }

    /// The deadline of the run: `--minutes` (planned into steps when alone, it also stops a run that turns out
    /// slower than its timed steps promised), or `defaultMinutes` when no length was asked for.
    public func deadlineMinutes(default defaultMinutes: Double? = nil) -> Double? {
        minutes ?? (epochs == nil && trainSteps == nil && resume == nil ? defaultMinutes : nil)
    }

    /// The minutes a new run's step count is planned from: `--minutes` (or `defaultMinutes`) when neither
    /// `--train-steps`, `--epochs` nor `--resume` says how long to train. `makeTraining` plans from it and
    /// `budget` revises that plan on the way, so both read this one rule.
    func plannedMinutes(default defaultMinutes: Double?) -> Double? {
        trainSteps == nil && epochs == nil && resume == nil ? minutes ?? defaultMinutes : nil
    }

    /// How long the run made by `makeTraining` trains: its epochs, the deadline, and whether the steps were
    /// planned from minutes (then the plan is revised on the way, `TimeBudgetPlan`).
    public func budget(for recipe: DiffusionRecipe, defaultMinutes: Double? = nil) -> TrainingBudget {
        TrainingBudget(epochs: epochs ?? recipe.epochs, minutes: deadlineMinutes(default: defaultMinutes), limit: recipe.limit,
                       revisesPlan: plannedMinutes(default: defaultMinutes) != nil)
    }

    /// A new run from the flags, or the one in `--resume` (whose recipe wins; `--epochs`/`--minutes` extend it).
    /// How long: `--train-steps`; else `--epochs`; else `--minutes` (or `defaultMinutes`) planned into steps by
    /// timing a few on this machine; else `defaultEpochs`.
    /// - modelFromInit: with `--init-from`, train the architecture of the model it names (with `model`'s dropout)
    ///   instead of `model`: a fine-tune with no architecture flags continues the model it starts from.
    public func makeTraining(model: UNet2DConfig, seed: UInt64, limit: Int?, defaultEpochs: Int, defaultMinutes: Double? = nil,
                             defaultLoss: DiffusionObjective.Loss = .mse, defaultBatchSize: Int = 128,
                             defaultLearningRate: Float = 2e-3, labelDrop: Float = 0,
                             modelFromInit: Bool = false, data: MNIST) throws -> DiffusionTraining {
        let trainCount = data.count
        let perEpoch = { (r: DiffusionRecipe) in min(r.limit ?? trainCount, trainCount) / r.imagesPerStep }
        guard let resume else {
            var r = recipe(model: model, seed: seed, limit: limit, defaultEpochs: defaultEpochs, defaultLoss: defaultLoss,
                           defaultBatchSize: defaultBatchSize, defaultLearningRate: defaultLearningRate, labelDrop: labelDrop)
            // Loaded once, before any step is timed: a bad --init-from file fails at once.
            let initURL = initFrom.map { URL(fileURLWithPath: $0) }
            let start = try initURL.map { try TrainedModel.load(contentsOf: $0) }
            if modelFromInit, let start, start.recipe.model.numClassEmbeds == model.numClassEmbeds,
               start.recipe.model.inChannels == model.inChannels, start.recipe.model.sampleSize == model.sampleSize {
                r.model = start.recipe.model
                r.model.dropout = model.dropout
            }
            if let trainSteps {
                r.steps = trainSteps
            } else if let plan = plannedMinutes(default: defaultMinutes) {
                let perStep = try DiffusionTraining.secondsPerStep(recipe: r, data: data)
                r.steps = max(1, Int(plan * 60 / perStep))
                print("Timing: \(String(format: "%.2f", perStep)) s per step of \(r.imagesPerStep) images here, so \(r.steps!) steps in \(plan) minutes")
            }
            if let steps = r.steps { r.warmupSteps = min(r.warmupSteps, max(1, steps / 5)) }
            let training = DiffusionTraining(recipe: r, stepsPerEpoch: perEpoch(r))
            if let initFrom, let start, let initURL {
                let warnings = try training.initializeWeights(from: start, source: initURL)
                print("Starting from the weights of \(initFrom)")
                for w in warnings { print("warning: \(w)") }
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
