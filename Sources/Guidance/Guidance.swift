import ArgumentParser
import ChapterSupport
import Diffusion
import Foundation
import TensorCore

/// Chapter 6 (Chapters/06-Guidance.md): steer a trained model after training, with a loss on the predicted
/// image or with a classifier.
@main
struct Guidance: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Chapter 6: steer the shipped model with a loss on x0hat or a classifier's log p(c | x), or edit a drawing (SDEdit, inversion, inpainting).",
        discussion: "Start with: swift run -c release Guidance loss",
        subcommands: [Loss.self, Classifier.self, TrainNoisyClassifier.self, Compare.self,
                      SDEditCommand.self, InvertCommand.self, InpaintCommand.self],
        defaultSubcommand: Loss.self)
}

/// Options every guided command shares: the model, the sampler, the seed, the output directory.
struct GuidedSamplingOptions: ParsableArguments {
    @Option(help: "Model file (shipped: \(ShippedFiles.conditionalModel)); its null class is the unconditional model.")
    var checkpoint = ShippedFiles.conditionalModel

    @OptionGroup(title: "Sampler") var solver: SamplerOptions

    @Option(help: "Random seed: the same seed starts from the same noise, guided or not.")
    var seed: UInt64 = 0

    @Option(help: "Directory for the pictures and tables.")
    var output = "runs/guidance"

    func validate() throws {
        guard !output.isEmpty else { throw ValidationError("--output must name a directory") }
    }

    /// The sampler settings of these flags, with classifier-free guidance w.
    func settings(guidance w: Float = 0) -> SamplingSettings { solver.settings(guidance: w) }

    /// Loads the model and checks the steps against its T.
    func load() throws -> TrainedModel {
        let url = ShippedFiles.resolve(checkpoint)
        let trained = try TrainedModel.load(contentsOf: url)
        do { try settings().validate(timesteps: trained.schedule.steps) } catch { throw ValidationError("--\(error) (\(url.relativePath))") }
        return trained
    }

    /// The output directory, created if needed.
    func directory() throws -> URL {
        let url = URL(fileURLWithPath: output, isDirectory: true)
        do { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) } catch {
            throw ValidationError("--output: cannot create the directory \(url.path): \(error.localizedDescription)")
        }
        return url
    }

    /// Samples `classes` with a guide per batch behind one progress bar, and times it.
    /// - returns: images `[classes.count, 1, 28, 28]` and the seconds taken
    func generate(_ trained: TrainedModel, classes: [Int], conditioning: TrainedModel.Conditioning, settings: SamplingSettings,
                  label: String, makeGuide: ([Int]) -> (any SamplingGuide)?) throws -> (images: Tensor, seconds: Double) {
        let batch = TrainedModel.sampleBatch
        let bar = ProgressBar(total: settings.stepCount(timesteps: trained.schedule.steps) * ((classes.count + batch - 1) / batch),
                              label: label, itemsPerStep: min(batch, classes.count))
        defer { bar.finish() }
        return try timed {
            try trained.generateGuided(classes: classes, conditioning: conditioning, settings: settings, seed: seed, batch: batch,
                                       makeGuide: makeGuide) { done, _ in bar.update(step: done) }
        }
    }
}

/// Loads the shipped clean MNIST classifier (or another `MNISTClassifier` file).
func loadCleanClassifier(_ path: String) throws -> MNISTClassifier {
    let file = try SafeTensors.read(contentsOf: ShippedFiles.resolve(path))
    var rng = SeededGenerator(seed: 0)
    let classifier = MNISTClassifier(random: nil, rng: &rng)
    try classifier.load(from: file)
    classifier.eval()
    return classifier
}

/// Loads a noise-aware classifier written by `train-noisy-classifier`.
func loadNoiseAwareClassifier(_ path: String) throws -> NoiseAwareClassifier {
    let file = try SafeTensors.read(contentsOf: ShippedFiles.resolve(path))
    var rng = SeededGenerator(seed: 0)
    let classifier = NoiseAwareClassifier(rng: &rng)
    try classifier.load(from: file)
    classifier.eval()
    return classifier
}

/// A non-negative finite number for a flag, or a `ValidationError` naming it.
func checkScale(_ value: Float, flag: String) throws {
    guard value.isFinite && value >= 0 else { throw ValidationError("--\(flag) must be a finite number >= 0, got \(value)") }
}

extension LossGuidance.Gradient: ExpressibleByArgument {}
