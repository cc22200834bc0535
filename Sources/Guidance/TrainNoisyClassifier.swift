import ArgumentParser
import ChapterSupport
import Diffusion
import Foundation
import TensorCore

extension Guidance {
    struct TrainNoisyClassifier: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "train-noisy-classifier",
            abstract: "Train the noise-aware classifier p(c | x_t, t) that classifier guidance reads (the paper's way).",
            discussion: """
                Noisy training digits x_t = sqrt(alphabar_t) x_0 + sqrt(1 - alphabar_t) eps at t uniform in 0...T-1 of the \
                model's schedule, cross-entropy on the digit, Adam with cosine decay. Prints the test accuracy at a few t \
                and writes the weights to --out (the shipped file is \(ShippedFiles.noisyClassifier)).
                """)

        @Option(help: "The diffusion model whose noise schedule the classifier learns (only its recipe is read).")
        var checkpoint = ShippedFiles.conditionalModel

        @Option(help: "Passes over the training set.")
        var epochs = 3

        @Option(help: "Peak learning rate.")
        var lr: Float = 2e-3

        @Option(help: "Train on only the first N training digits (quick experiments).")
        var limit: Int?

        @Option(help: "Random seed: the same seed gives the same classifier.")
        var seed: UInt64 = 0

        @Option(help: "Where to write the classifier weights.")
        var out = "runs/guidance/noisy-classifier.safetensors"

        func validate() throws {
            guard (1...100).contains(epochs) else { throw ValidationError("--epochs must be in 1...100, got \(epochs)") }
            guard lr.isFinite && lr > 0 else { throw ValidationError("--lr must be a positive number, got \(lr)") }
            if let limit, limit < 128 { throw ValidationError("--limit must be at least 128 (one batch), got \(limit)") }
            guard out.hasSuffix(".safetensors") else { throw ValidationError("--out must name a .safetensors file, got '\(out)'") }
        }

        func run() throws {
            let schedule = try TrainedModel.load(contentsOf: ShippedFiles.resolve(checkpoint)).schedule
            let train = try MNIST.load(split: .train, directory: Dataset.mnist.directory)
            let test = try MNIST.load(split: .test, directory: Dataset.mnist.directory)
            var rng = SeededGenerator(seed: seed)
            let classifier = NoiseAwareClassifier(rng: &rng)
            print("Noise-aware classifier (\(classifier.parameterCount) parameters), \(schedule.kind) schedule, T = \(schedule.steps)")
            let (epochSummaries, seconds) = try timed {
                try classifier.fit(train: train, schedule: schedule, epochs: epochs, learningRate: lr, seed: seed, limit: limit)
            }
            for e in epochSummaries { print("  epoch \(e.epoch): mean loss \(fmt(e.meanLoss)), \(fmt(e.imagesPerSecond, 0)) img/s") }
            let accuracy = classifier.accuracy(on: test, schedule: schedule, timesteps: [0, 250, 500, 750, 900, schedule.steps - 1], seed: seed)
            print(accuracy.table)
            var file = classifier.stateDictFile()
            file.metadata = ["model": "NoiseAwareClassifier", "schedule": schedule.kind.rawValue, "timesteps": String(schedule.steps),
                             "test_accuracy_uniform_t": String(format: "%.4f", accuracy.uniform), "epochs": String(epochs),
                             "seed": String(seed), "train_seconds": String(format: "%.0f", seconds)]
            let url = URL(fileURLWithPath: out)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try file.write(to: url)
            print(String(format: "%.0f s; test accuracy %.2f%% with t uniform", seconds, 100 * accuracy.uniform))
            report("noise-aware classifier", url)
        }
    }
}
