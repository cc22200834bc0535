import ArgumentParser
import ChapterSupport
import Diffusion
import Foundation
import TensorCore

extension Conditional {
    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Train a class-conditional UNet2DModel with label dropout for classifier-free guidance.",
            discussion: """
                With no --epochs, --minutes or --train-steps, trains for 15 minutes (timed into a step count on this \
                machine, the learning rate decaying over them): the chapter's time-to-quality recipe, the narrow preset \
                (channels 16,32,32) with MSE on epsilon in batches of 64 at a peak learning rate of 3e-3. With --init-from and no model option, the \
                run continues the architecture of the model it starts from. \
                Writes to --output: loss.png, samples.png (one row per class), samples-during-training.png, \
                conditional-training.safetensors (resumable) and \
                conditional.safetensors (the EMA weights as a model file; copy it to \(ShippedFiles.conditionalModel) to \
                use it by default).
                """)

        @OptionGroup var common: CommonOptions
        @OptionGroup(title: "Model") var unet: UNetOptions
        @OptionGroup(title: "Training") var options: DiffusionTrainingOptions

        /// With no --epochs, --minutes or --train-steps: a 15-minute run. The time-to-quality recipe of the chapter
        /// ("Fifteen minutes of training"): the narrow preset, which sees 2.6x the images of the cpu preset in the
        /// same time, MSE on epsilon (1.28x the floor against L1's 1.97x at w = 0.35) and batches of 64.
        static let defaultMinutes = 15.0
        static let defaultPreset = UNetPreset.narrow
        static let defaultLoss = DiffusionObjective.Loss.mse
        static let defaultBatchSize = 64
        /// 3e-3 against 2e-3: 99.2% / 1.46x instead of 98.5% / 1.34x at w = 0.5 in the same 3,298 steps.
        static let defaultLearningRate: Float = 3e-3

        @Option(help: "Probability of dropping a label to the null class during training.")
        var labelDrop: Float = 0.1

        @Option(help: "Guidance scale for the sample grid drawn at the end.")
        var guidance = SamplingSettings.defaults.guidance

        func validate() throws {
            guard labelDrop >= 0 && labelDrop < 1 else { throw ValidationError("--label-drop must be in [0, 1), got \(labelDrop)") }
        }

        func run() throws {
            let out = try common.outputDirectory(default: "conditional")
            let train = try common.loadData(.train)
            let config = try unet.config(defaultPreset: Self.defaultPreset, classes: 11).fitted(to: train)
            let names = common.classNames
            let training = try options.makeTraining(model: config, seed: common.seed, limit: common.limit, defaultEpochs: 3,
                                                    defaultMinutes: Self.defaultMinutes, defaultLoss: Self.defaultLoss,
                                                    defaultBatchSize: Self.defaultBatchSize, defaultLearningRate: Self.defaultLearningRate,
                                                    labelDrop: labelDrop,
                                                    modelFromInit: unet.describesNoArchitecture, data: train)
            let recipe = training.recipe
            print("Chapter 4: conditional UNet2DModel (\(training.session.model.parameterCount) parameters), " +
                  "\(recipe.schedule) schedule, label drop \(recipe.labelDropProbability)")
            let checkpointURL = out.appendingPathComponent("conditional-training.safetensors")
            let started = Date()
            let budget = options.budget(for: recipe, defaultMinutes: Self.defaultMinutes)
            // Wall time accumulates across resumed runs.
            let previousSeconds = options.resume.flatMap { try? SafeTensors.read(contentsOf: URL(fileURLWithPath: $0)) }
                .flatMap { Double($0.metadata["train_seconds"] ?? "") } ?? 0
            let log = options.sampleLog(in: out, labels: Array(0...9), columnLabels: nil, seed: common.seed)
            let epochs = try training.run(data: train, budget: budget, checkpointURL: checkpointURL, checkpointEvery: options.checkpointEvery,
                                          sampleLog: log) {
                ["train_seconds": String(format: "%.0f", previousSeconds + Date().timeIntervalSince(started))]
            }
            let seconds = Date().timeIntervalSince(started)
            for e in epochs { print("  epoch \(e.epoch): mean loss \(fmt(e.meanLoss)), \(e.steps) steps, \(fmt(e.imagesPerSecond, 0)) img/s") }
            report("training checkpoint", checkpointURL)
            if let log { report("samples during training (one row per \(log.every) steps, classes \(names.joined(separator: ", ")))", log.url) }
            let modelURL = out.appendingPathComponent("conditional.safetensors")
            try TrainedModel.export(training, to: modelURL, metadata: ["train_seconds": String(format: "%.0f", previousSeconds + seconds),
                                                                       "final_loss": fmt(training.session.recentLoss())])
            report("model file", modelURL)
            try lossCurve(title: "Conditional training loss (\(recipe.loss) on epsilon)", series: [("UNet2DModel", training.session.losses)])
                .writePNG(to: out.appendingPathComponent("loss.png"))
            report("loss curve", out.appendingPathComponent("loss.png"))

            let trained = try TrainedModel.load(contentsOf: modelURL)
            let labels = (0...9).flatMap { Array(repeating: $0, count: 8) }
            let settings = SamplingSettings(steps: min(SamplingSettings.defaults.steps, trained.schedule.steps), guidance: guidance)
            let bar = ProgressBar(total: settings.stepCount(timesteps: trained.schedule.steps), label: "sample", itemsPerStep: labels.count)
            let images = try trained.generate(labels: labels, settings: settings, seed: common.seed) { d, _ in bar.update(step: d) }.images
            bar.finish()
            try writeImage(ImageGrid.picture(images.clamped(-1, 1), columns: 8, range: -1...1, scale: 2, rowLabels: names),
                           out, "samples.png", "samples, one row per class (w = \(guidance))")
            print("  final loss \(fmt(training.session.recentLoss())), \(training.session.step) steps, \(fmt(seconds, 0)) s")
        }
    }

    struct TrainClassifier: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "train-classifier",
            abstract: "Train the MNIST classifier used by 'evaluate' (accuracy and FID features).")

        @OptionGroup var common: CommonOptions

        @Option(help: "Passes over the training set.")
        var epochs = 4

        @Option(help: "Where to write the classifier weights.")
        var out = ShippedFiles.classifier

        func run() throws {
            let train = try common.loadData(.train), test = try common.loadData(.test)
            var rng = SeededGenerator(seed: common.seed)
            let classifier = MNISTClassifier(random: RandomSource(seed: common.seed &+ 1), rng: &rng)
            let (accuracy, seconds) = try timed {
                try classifier.fit(train: train, test: test, epochs: epochs, seed: common.seed, limit: common.limit)
            }
            var file = classifier.stateDictFile()
            file.metadata = ["model": "MNISTClassifier", "test_accuracy": String(format: "%.4f", accuracy),
                             "epochs": String(epochs), "seed": String(common.seed), "train_seconds": String(format: "%.0f", seconds)]
            let url = URL(fileURLWithPath: out)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try file.write(to: url)
            print(String(format: "test accuracy %.2f%% after %d epochs (%.0f s)", 100 * accuracy, epochs, seconds))
            report("classifier", url)
        }
    }
}
