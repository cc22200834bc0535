import ArgumentParser
import ChapterSupport
import Diffusion
import Foundation
import TensorCore

/// Chapter 4 (Chapters/04-Conditional.md): ask for a digit, get that digit.
@main
struct Conditional: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Chapter 4: a class-conditional diffusion model with classifier-free guidance.",
        discussion: "Start with: swift run -c release Conditional generate --digit 7",
        subcommands: [Generate.self, Train.self, Evaluate.self, Map.self, Export.self, Serve.self, TrainClassifier.self],
        defaultSubcommand: Generate.self)
}

/// Options shared by the commands that sample.
struct SamplingOptions: ParsableArguments {
    @Option(help: "Model file (shipped: \(ShippedFiles.conditionalModel)) or a training checkpoint.")
    var checkpoint = ShippedFiles.conditionalModel

    @Option(help: "Classifier-free guidance scale w: eps = (1 + w) eps(x, c) - w eps(x, null).")
    var guidance = SamplingSettings.defaults.guidance

    @Option(help: "Guide only at timesteps in LOW...HIGH, e.g. 500...999 (default: every step).")
    var guidanceInterval: String?

    @OptionGroup(title: "Sampler") var solver: SamplerOptions

    @Option(help: "Random seed: the same seed draws the same digits.")
    var seed: UInt64 = 0

    /// The settings of these flags (guidance `w` replaced when given).
    func settings(guidance w: Float? = nil) -> SamplingSettings {
        var s = solver.settings(guidance: w ?? guidance)
        s.guidanceInterval = interval
        return s
    }

    /// `--guidance-interval LOW...HIGH` read.
    var interval: ClosedRange<Int>? {
        guard let text = guidanceInterval else { return nil }
        let parts = text.components(separatedBy: "...")
        guard parts.count == 2, let low = Int(parts[0]), let high = Int(parts[1]), low <= high else { return nil }
        return low...high
    }

    func validate() throws {
        if let text = guidanceInterval, interval == nil {
            throw ValidationError("--guidance-interval must be LOW...HIGH with LOW <= HIGH, e.g. 500...999, got '\(text)'")
        }
        // Steps and the interval are checked against the model's T when it is loaded.
        var early = settings()
        early.guidanceInterval = nil
        do { try early.validate(timesteps: max(solver.steps, 1)) } catch { throw ValidationError("--\(error)") }
    }

    /// Loads the model, checking it is a conditional one and that the steps fit its T.
    func load() throws -> TrainedModel {
        let url = ShippedFiles.resolve(checkpoint)
        let trained = try TrainedModel.loadConditional(contentsOf: url)
        do { try settings().validate(timesteps: trained.schedule.steps) } catch {
            throw ValidationError("--\(error) (\(url.relativePath))")
        }
        return trained
    }

    /// Samples many digits in batches with one progress bar (`TrainedModel.generateInBatches`).
    /// - returns: [labels.count, 1, 28, 28] in [-1, 1]
    func generateInBatches(_ trained: TrainedModel, labels: [Int], settings: SamplingSettings? = nil, batch: Int = TrainedModel.sampleBatch) throws -> Tensor {
        try generateWithProgress(trained, labels: labels, settings: settings ?? self.settings(), seed: seed, batch: batch)
    }

    /// Samples `labels` with a progress bar.
    func generate(_ trained: TrainedModel, labels: [Int], guidance: Float? = nil, recordEvery: Int = 0) throws -> (images: Tensor, trajectory: SamplingTrajectory) {
        let settings = settings(guidance: guidance)
        let bar = ProgressBar(total: settings.stepCount(timesteps: trained.schedule.steps), label: "sample", itemsPerStep: labels.count)
        defer { bar.finish() }
        return try trained.generate(labels: labels, settings: settings, seed: seed, recordEvery: recordEvery) { done, _ in bar.update(step: done) }
    }
}
