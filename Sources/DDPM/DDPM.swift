import ArgumentParser
import ChapterSupport
import Diffusion
import Foundation
import TensorCore

/// Chapter 3 (Chapters/03-DDPM.md): denoising diffusion, trained on epsilon, sampled with DDPM and DDIM.
@main
struct DDPM: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Chapter 3: train a UNet2DModel to predict noise (DDPM) and sample digits with DDPM and DDIM.",
        subcommands: [Train.self, Sample.self],
        defaultSubcommand: Train.self)
}

extension DDPM {
    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Train on epsilon-prediction, then draw the chapter's pictures.",
            discussion: """
                Writes to --output: forward.png (one digit noised over t, linear and cosine), loss.png, samples.png \
                (64 digits, DDIM 50 steps), trajectory.png (x_t and predicted x_0 along the way), samplers.png \
                (DDPM 1000 steps next to DDIM 50, 20 and 10 and DPM-Solver++ 10, with wall times), ddpm.safetensors (a resumable \
                checkpoint) and summary.json.
                """)

        @OptionGroup var common: CommonOptions
        @OptionGroup(title: "Model") var unet: UNetOptions
        @OptionGroup(title: "Training") var options: DiffusionTrainingOptions

        func run() throws {
            let out = try common.outputDirectory(default: "ddpm")
            let train = try common.loadData(.train), test = try common.loadData(.test)
            let training = try options.makeTraining(model: try unet.config(defaultPreset: .cpu), seed: common.seed, limit: common.limit,
                                                    defaultEpochs: 3, modelFromInit: unet.describesNoArchitecture, data: train)
            let recipe = training.recipe
            let model = training.session.model
            print("Chapter 3: DDPM, \(recipe.schedule) schedule, T = \(recipe.timesteps), \(model.parameterCount) parameters")

            // 1. The forward process q(x_t | x_0): one test digit, more noise to the right.
            let digit = test.batch([0], range: .minusOneToOne).images
            try writeImage(DiffusionFigures.forwardProcess(digit, schedules: options.schedules,
                                                           timesteps: [0, 50, 100, 200, 300, 500, 700, 999].filter { $0 < recipe.timesteps },
                                                           seed: common.seed),
                           out, "forward.png", "the forward process")

            // 2. Train (Algorithm 1), checkpointing as we go.
            let checkpointURL = out.appendingPathComponent("ddpm.safetensors")
            let budget = options.budget(for: recipe)
            let (epochs, seconds) = try timed { try training.run(data: train, budget: budget, checkpointURL: checkpointURL, checkpointEvery: options.checkpointEvery) }
            for e in epochs { print("  epoch \(e.epoch): mean loss \(fmt(e.meanLoss)), \(e.steps) steps, \(fmt(e.imagesPerSecond, 0)) img/s") }
            report("checkpoint", checkpointURL)
            try lossCurve(title: "DDPM training loss (\(recipe.loss) on epsilon)", series: [("UNet2DModel", training.session.losses)])
                .writePNG(to: out.appendingPathComponent("loss.png"))
            report("loss curve", out.appendingPathComponent("loss.png"))

            // 3. Sampling (Algorithm 2 and DDIM) with the EMA weights.
            let figures = try drawSamples(training.samplingModel(), schedule: training.schedule, seed: common.seed, out: out)
            let summary = RunSummary(model: "UNet2DModel (DDPM)", parameters: model.parameterCount, epochs: epochs, trainSeconds: seconds,
                                     trainImagesPerSecond: Double(epochs.map(\.steps).reduce(0, +) * recipe.imagesPerStep) / max(seconds, 1e-9),
                                     sampleImagesPerSecond: forwardImagesPerSecond(model), finalLoss: training.session.recentLoss(),
                                     extra: figures.merging(["recipe": recipe.json()]) { $1 })
            try summary.write(to: out.appendingPathComponent("summary.json"))
            print("  final loss \(fmt(summary.finalLoss)); trained \(fmt(seconds, 0)) s at \(fmt(summary.trainImagesPerSecond, 1)) img/s")
        }
    }

    struct Sample: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Sample digits from a trained checkpoint.")

        @Option(help: "A checkpoint written by 'DDPM train' (or a model file).")
        var checkpoint = "runs/ddpm/ddpm.safetensors"
        @OptionGroup(title: "Sampler") var solver: SamplerOptions
        @Option(help: "How many digits.")
        var count = 64
        @Option(help: "Random seed.")
        var seed: UInt64 = 0
        @Option(help: "Output PNG.")
        var out = "samples.png"

        func validate() throws {
            guard count >= 1 && count <= 1024 else { throw ValidationError("--count must be in 1...1024, got \(count)") }
        }

        func run() throws {
            let trained = try TrainedModel.load(contentsOf: URL(fileURLWithPath: checkpoint))
            let settings = solver.settings()
            do { try settings.validate(timesteps: trained.schedule.steps) } catch { throw ValidationError("--\(error) (\(checkpoint))") }
            let progress = ProgressBar(total: settings.stepCount(timesteps: trained.schedule.steps), label: "sample", itemsPerStep: count)
            let (images, _) = try trained.generate(labels: Array(repeating: 0, count: count), settings: settings, seed: seed) { done, _ in
                progress.update(step: done)
            }
            progress.finish()
            let url = URL(fileURLWithPath: out)
            try writeImage(ImageGrid.make(images.clamped(-1, 1), columns: Int(Double(count).squareRoot().rounded(.up)), range: -1...1),
                           url.deletingLastPathComponent(), url.lastPathComponent, "\(count) samples")
        }
    }
}

/// The chapter's sampling pictures; returns the wall times as summary entries.
func drawSamples(_ model: UNet2DModel, schedule: NoiseSchedule, seed: UInt64, out: URL) throws -> [String: String] {
    var times: [String: String] = [:]
    // 64 digits with DDIM 50 steps, recording the trajectory.
    var rng = SeededGenerator(seed: seed)
    let ddim50 = DDIMSampler(schedule: schedule, inferenceSteps: min(50, schedule.steps))
    let progress = ProgressBar(total: ddim50.timesteps.count, label: "sample", itemsPerStep: 64)
    let (samples, trajectory) = sampleImages(model: model, sampler: ddim50, shape: [64, 1, 28, 28], rng: &rng, recordEvery: 7) { done, _ in
        progress.update(step: done)
    }
    progress.finish()
    try writeImage(ImageGrid.make(samples.clamped(-1, 1), columns: 8, range: -1...1, scale: 2), out, "samples.png", "64 samples (DDIM, 50 steps)")
    try writeImage(DiffusionFigures.trajectory(trajectory, final: samples, count: 4), out, "trajectory.png", "the denoising trajectory")

    // The same starting noise through DDPM (all T steps) and DDIM with 50, 20 and 10 steps.
    var rows: [(label: String, images: Tensor)] = []
    let samplers: [(String, any Sampler)] = [("DDPM \(schedule.steps)", DDPMSampler(schedule: schedule))] +
        [50, 20, 10].filter { $0 <= schedule.steps }.map { ("DDIM \($0)", DDIMSampler(schedule: schedule, inferenceSteps: $0)) } +
        [10].filter { $0 <= schedule.steps }.map { ("DPM++ \($0)", DPMSolverSampler(schedule: schedule, inferenceSteps: $0, x0Processing: .clip)) }
    for (name, sampler) in samplers {
        var r = SeededGenerator(seed: seed &+ 5)
        let bar = ProgressBar(total: sampler.timesteps.count, label: name, itemsPerStep: 10)
        let ((images, _), seconds) = timed { sampleImages(model: model, sampler: sampler, shape: [10, 1, 28, 28], rng: &r) { d, _ in bar.update(step: d) } }
        bar.finish()
        rows.append(("\(name) \(String(format: "%.1f", seconds))s", images))
        times["seconds.\(name.replacingOccurrences(of: " ", with: ""))"] = String(format: "%.2f", seconds)
        print("  \(name): \(fmt(seconds, 2)) s for 10 digits")
    }
    try writeImage(DiffusionFigures.rows(rows, columns: 10), out, "samplers.png", "DDPM vs DDIM vs DPM-Solver++")
    return times
}
