import ArgumentParser
import ChapterSupport
import Diffusion
import Foundation
import TensorCore

/// Chapter 5 (Chapters/05-FineTuning.md): teach a trained model a new dataset, and measure what starting from
/// trained weights buys against starting from random ones.
@main
struct FineTuning: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Chapter 5: fine-tune the shipped MNIST model on Fashion-MNIST, beside the same model trained from scratch.",
        discussion: "Start with: swift run -c release FineTuning compare",
        subcommands: [Compare.self, Generate.self],
        defaultSubcommand: Compare.self)
}

extension FineTuning {
    struct Compare: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fine-tune the shipped MNIST model on Fashion-MNIST for M minutes, and train the same model from scratch for as many steps.",
            discussion: """
                Both runs use one recipe (the starting model's architecture, schedule and label drop; Adam with warmup and \
                cosine decay) and one seed; only the starting weights differ. --minutes becomes a step count by timing \
                a few steps on this machine first, so both runs take the same number of steps (--train-steps repeats a \
                run exactly). Writes to --output: loss.png (both curves), fine-tuned/ and from-scratch/ (samples.png, \
                samples-during-training.png, model.safetensors), results.md and results.json (class accuracy and FID \
                against the dataset's shipped classifier, beside the real-vs-real floor).
                """)

        @Option(help: "The trained model to start from.")
        var from = ShippedFiles.conditionalModel

        @Option(help: "The new data: a shipped dataset (fashion-mnist, mnist).")
        var dataset: Dataset = .fashionMNIST

        @Option(help: "Or a directory with the four MNIST-format IDX files (overrides --dataset; scored with --classifier).")
        var data: String?

        @Option(help: "Training minutes per run (turned into a step count on this machine).")
        var minutes = 5.0

        @Option(help: "Optimizer steps per run (overrides --minutes; the same steps give the same run on any machine).")
        var trainSteps: Int?

        @Option(help: "Peak learning rate of both runs.")
        var lr: Float = 2e-3

        @Option(help: "Images per forward/backward pass (a micro-batch when --accumulate is above 1).")
        var batchSize = 128

        @Option(help: "Gradient accumulation: micro-batches per optimizer step (a step then sees batch-size x K images).")
        var accumulate = 1

        @Option(help: "Every N steps, append a row of samples to each run's samples-during-training.png; 0: off.")
        var sampleEvery = 50

        @Option(help: "Items per class in each run's samples.png.")
        var gridCount = 8

        @Option(help: "Generated items per class to score (0: no scores).")
        var perClass = 100

        @Option(help: "Classifier for the scores (default: the shipped one for --dataset).")
        var classifier: String?

        @Option(help: "Train on only the first N training images (quick experiments).")
        var limit: Int?

        @Option(help: "Random seed: the same seed (and step count) gives the same runs.")
        var seed: UInt64 = 0

        @Option(help: "Directory for pictures, models and results.")
        var output = "runs/fine-tuning"

        func validate() throws {
            guard minutes > 0 && minutes <= 24 * 60 else { throw ValidationError("--minutes must be in (0, 1440], got \(minutes)") }
            if let trainSteps, !(1...1_000_000).contains(trainSteps) { throw ValidationError("--train-steps must be in 1...1000000, got \(trainSteps)") }
            guard lr > 0 && lr.isFinite else { throw ValidationError("--lr must be a positive number, got \(lr)") }
            guard (1...4096).contains(batchSize) else { throw ValidationError("--batch-size must be in 1...4096, got \(batchSize)") }
            guard (1...256).contains(accumulate) else { throw ValidationError("--accumulate must be in 1...256, got \(accumulate)") }
            guard sampleEvery >= 0 else { throw ValidationError("--sample-every must be 0 (off) or more, got \(sampleEvery)") }
            guard (1...64).contains(gridCount) else { throw ValidationError("--grid-count must be in 1...64, got \(gridCount)") }
            guard perClass == 0 || (2...2000).contains(perClass) else { throw ValidationError("--per-class must be 0 or in 2...2000, got \(perClass)") }
            if let limit, limit < 1 { throw ValidationError("--limit must be at least 1, got \(limit)") }
        }

        func run() throws {
            let out = URL(fileURLWithPath: output, isDirectory: true)
            try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
            let directory = data.map { URL(fileURLWithPath: $0, isDirectory: true) } ?? dataset.directory
            let train = try MNIST.load(split: .train, directory: directory)
            let names = data == nil ? dataset.classNames : (0...9).map(String.init)
            let startURL = ShippedFiles.resolve(from)
            let start = try TrainedModel.loadConditional(contentsOf: startURL, classes: 10)
            guard start.recipe.model.inChannels == train.channels, start.recipe.model.sampleSize == train.rows else {
                throw ValidationError("\(startURL.relativePath) draws \(start.recipe.model.inChannels)x\(start.recipe.model.sampleSize)x"
                    + "\(start.recipe.model.sampleSize) images; the data has \(train.channels)x\(train.rows)x\(train.cols)")
            }

            // One recipe for both runs: the starting model's architecture, schedule and label drop.
            var recipe = start.recipe
            (recipe.learningRate, recipe.batchSize, recipe.accumulate) = (lr, batchSize, accumulate > 1 ? accumulate : nil)
            (recipe.seed, recipe.limit, recipe.epochs) = (seed, limit, 1)
            let steps = try trainSteps ?? {
                let perStep = try DiffusionTraining.secondsPerStep(recipe: recipe, data: train)
                let n = max(1, Int(minutes * 60 / perStep))
                print("Timing: \(fmt(perStep, 2)) s per step of \(recipe.imagesPerStep) images here, so \(n) steps in \(fmt(minutes, 1)) minutes per run")
                return n
            }()
            recipe.steps = steps
            recipe.warmupSteps = min(100, max(1, steps / 5))
            print("Chapter 5: \(start.model.parameterCount) parameters, \(steps) steps per run, lr \(lr), seed \(seed), data \(directory.relativePath)")

            let reference = try scoringReference()
            var results: [RunResult] = [], losses: [(String, [Float])] = []
            for (name, initFrom) in [("fine-tuned", Optional(startURL)), ("from scratch", nil)] {
                print("\n\(name): \(initFrom.map { "starting from \($0.relativePath)" } ?? "starting from random weights")")
                let training = DiffusionTraining(recipe: recipe, stepsPerEpoch: steps)
                if initFrom != nil { for w in try training.initializeWeights(from: start, source: startURL) { print("warning: \(w)") } }
                let runDirectory = out.appendingPathComponent(name.replacingOccurrences(of: " ", with: "-"), isDirectory: true)
                try FileManager.default.createDirectory(at: runDirectory, withIntermediateDirectories: true)
                let log = sampleEvery > 0 ? TrainingSampleLog(url: runDirectory.appendingPathComponent("samples-during-training.png"),
                                                              every: sampleEvery, seed: seed, columnLabels: names) : nil
                try log?.record(training)   // step 0: what the starting weights draw for each new class
                let (_, seconds) = try timed {
                    try training.run(data: train, budget: TrainingBudget(epochs: 1, limit: limit), checkpointURL: nil, sampleLog: log)
                }
                let modelURL = runDirectory.appendingPathComponent("model.safetensors")
                try TrainedModel.export(training, to: modelURL, metadata: ["train_seconds": fmt(seconds, 0), "init_from": initFrom?.relativePath ?? "",
                                                                           "data": directory.relativePath, "final_loss": fmt(training.session.recentLoss())])
                report("model", modelURL)
                if let log { report("samples during training (a row every \(log.every) steps)", log.url) }
                let trained = try TrainedModel.load(contentsOf: modelURL)
                let grid = try sample(trained, labels: (0...9).flatMap { Array(repeating: $0, count: gridCount) })
                try writeImage(ImageGrid.picture(grid.clamped(-1, 1), columns: gridCount, range: -1...1, scale: 2, rowLabels: names),
                               runDirectory, "samples.png", "samples, one row per class")
                print("  \(steps) steps in \(fmt(seconds, 0)) s, final loss \(fmt(training.session.recentLoss()))")
                results.append(RunResult(name: name, steps: steps, trainSeconds: seconds, finalLoss: training.session.recentLoss(),
                                         score: try reference.map { try score(trained, $0) }))
                losses.append((name, training.session.losses))
            }
            try lossCurve(title: "Training loss on \(data == nil ? dataset.rawValue : "the new data"): fine-tuned vs from scratch", series: losses)
                .writePNG(to: out.appendingPathComponent("loss.png"))
            report("loss curves", out.appendingPathComponent("loss.png"))
            let table = RunResult.table(results)
            print("\n" + table)
            try writeResults(markdown: table, rows: results, in: out)
            report("results", out.appendingPathComponent("results.md"))
        }

        /// Samples `labels` at the default sampler and guidance, with a progress bar.
        func sample(_ trained: TrainedModel, labels: [Int]) throws -> Tensor {
            try generateWithProgress(trained, labels: labels, settings: .defaults, seed: seed)
        }

        /// The scoring options (the dataset's classifier, `perClass` items per class), or nil when scores are off.
        func scoringReference() throws -> (options: ScoringOptions, reference: ScoringReference)? {
            guard perClass > 0 else { return nil }
            var arguments = ["--per-class", String(perClass), "--dataset", dataset.rawValue]
            if let data { arguments += ["--data", data] }
            if let classifier { arguments += ["--classifier", classifier] }
            let scoring = try ScoringOptions.parse(arguments)
            return (scoring, try scoring.reference())
        }

        /// Class accuracy and FID of the scored items against the real ones.
        func score(_ trained: TrainedModel, _ scoring: (options: ScoringOptions, reference: ScoringReference)) throws -> EvaluationReport {
            let labels = scoring.options.labels
            let (images, seconds) = try timed { try sample(trained, labels: labels) }
            let s = SamplingSettings.defaults
            return EvaluationReport.score(images: images, labels: labels, reference: scoring.reference, guidance: s.guidance,
                                          sampler: s.sampler.rawValue, steps: s.steps, seconds: seconds)
        }
    }
}
