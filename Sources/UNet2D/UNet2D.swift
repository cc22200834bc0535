import ArgumentParser
import ChapterSupport
import Diffusion
import Foundation
import TensorCore

/// Chapter 2 (Chapters/02-UNet2D.md): diffusers' UNet2DModel on chapter 1's task, side by side with BasicUNet.
@main
struct UNet2D: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Chapter 2: train diffusers' UNet2DModel on one-shot denoising and compare it with chapter 1's BasicUNet.",
        discussion: """
            Both models see the same images in the same order for the same number of steps: by default one pass over \
            the first 30,000 training images (--limit 60000 for all of them). Writes to --output: \
            comparison.png (the same corrupted digits denoised by each model), loss.png (both curves), \
            samples-basic.png and samples-unet2d.png (the iterative sampler, 40 steps), unet2d.safetensors, \
            summary.json, and prints a table of loss, parameters, and training and sampling speed.
            """)

    @OptionGroup var common: CommonOptions
    @OptionGroup(title: "UNet2DModel") var unet: UNetOptions
    @OptionGroup var training: TrainingLoopOptions<LoopDefaults>

    /// UNet2DModel trains ~10x slower per image than BasicUNet; half of MNIST keeps the default run near 10 minutes.
    static let defaultLimit = 30_000

    /// Chapter 2's defaults and wording for the training-loop options: one epoch, and two models to train.
    enum LoopDefaults: TrainingLoopDefaults {
        static let epochs = 1
        static let epochsHelp = "Passes over the training images."
        static let lrHelp = "Adam learning rate (both models)."
        static let minutesHelp = "Stop each model's training after this many minutes."
    }

    func run() throws {
        let out = try common.outputDirectory(default: "unet2d")
        let train = try common.loadData(.train), test = try common.loadData(.test)
        var rng = SeededGenerator(seed: common.seed)
        let basic = BasicUNet(rng: &rng)
        // Dropout masks come from this source, shared by the model's layers and the training session.
        let dropout = RandomSource(seed: common.seed &+ 7)
        let unet2d = UNet2DModel(try unet.config(defaultPreset: .course), random: dropout, rng: &rng)
        print("Chapter 2: BasicUNet (\(basic.parameterCount) parameters) vs UNet2DModel (\(unet2d.parameterCount) parameters)")

        // Train each model on the same batches (same seed), one after the other.
        var results: [(name: String, model: any DenoisingModel, session: [Float], summary: RunSummary)] = []
        for (name, model) in [("BasicUNet", basic as any DenoisingModel), ("UNet2DModel", unet2d as any DenoisingModel)] {
            print("Training \(name)")
            let (summary, losses) = try trainOneShot(model, name: name, data: train, dropout: dropout)
            results.append((name, model, losses, summary))
        }

        // Side by side: the same corrupted test digits, denoised by each model.
        let digits = test.batch(Array(0..<8), range: .zeroToOne).images
        let amounts = (0..<8).map { Float($0) / 7 }
        var noiseRng = SeededGenerator(seed: common.seed &+ 1)
        let noisy = corrupt(digits, amounts: amounts, noise: .uniform(digits.shape, using: &noiseRng))
        let predictions = results.map { r in withoutGrad { denoise(r.model, noisy) }.clamped(0, 1) }
        try writeImage(ImageGrid.make(Tensor.concat([digits, noisy] + predictions, axis: 0), columns: 8, range: 0...1,
                                 rowLabels: ["clean", "noisy", "Basic", "UNet2D"],
                                 columnLabels: amounts.map { String(format: "a=%.2f", $0) }),
                  out, "comparison.png", "clean / noisy / BasicUNet / UNet2DModel")
        try lossCurve(title: "One-shot denoising loss (MSE)", series: results.map { ($0.name, $0.session) })
            .writePNG(to: out.appendingPathComponent("loss.png"))
        report("loss curves", out.appendingPathComponent("loss.png"))
        for r in results {
            var sampleRng = SeededGenerator(seed: common.seed &+ 2)
            let samples = iterativeDenoise(model: r.model, count: 64, steps: 40, rng: &sampleRng).last!
            try writeImage(ImageGrid.make(samples.clamped(0, 1), columns: 8, range: 0...1, scale: 2),
                      out, r.name == "BasicUNet" ? "samples-basic.png" : "samples-unet2d.png", "\(r.name) samples (40 steps)")
        }

        var checkpoint = unet2d.stateDictFile()
        checkpoint.metadata = ["model": "UNet2DModel", "config": try configJSON(unet2d.config)]
        try checkpoint.write(to: out.appendingPathComponent("unet2d.safetensors"))
        report("weights", out.appendingPathComponent("unet2d.safetensors"))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(results.map(\.summary)).write(to: out.appendingPathComponent("summary.json"), options: .atomic)

        print("")
        print("| model | parameters | final loss | train img/s | forward img/s | train time |")
        print("|---|---|---|---|---|---|")
        for r in results {
            let s = r.summary
            print("| \(s.model) | \(s.parameters) | \(fmt(s.finalLoss)) | \(fmt(s.trainImagesPerSecond, 1)) | \(fmt(s.sampleImagesPerSecond, 1)) | \(fmt(s.trainSeconds, 0)) s |")
        }
        for r in results {
            print("\(r.name) loss per epoch: " + r.summary.epochs.map { fmt($0.meanLoss) }.joined(separator: ", "))
        }
    }

    /// Chapter 1's objective for either model. Returns the run's summary and per-step losses.
    func trainOneShot(_ model: some DenoisingModel, name: String, data: MNIST, dropout: RandomSource) throws -> (RunSummary, [Float]) {
        let session = TrainingSession(model: model, optimizer: Adam(model.parameters, learningRate: training.lr),
                                      schedule: LearningRateSchedule(.constant, base: training.lr, totalSteps: 1), ema: nil,
                                      rng: SeededGenerator(seed: common.seed &+ 3), dropout: dropout)
        let budget = TrainingBudget(epochs: training.epochs, minutes: training.minutes, limit: common.limit ?? Self.defaultLimit)
        let (epochs, seconds) = try timed {
            try runEpochs(data: data, batchSize: training.batchSize, budget: budget, seed: common.seed, range: .zeroToOne, label: name) { images, _ in
                try session.train { model, rng in oneShotDenoisingLoss(model: model, x: images, rng: &rng) }
            }
        }
        let summary = RunSummary(model: name, parameters: model.parameterCount, epochs: epochs, trainSeconds: seconds,
                                 trainImagesPerSecond: Double(session.step * training.batchSize) / seconds,
                                 sampleImagesPerSecond: forwardImagesPerSecond(model), finalLoss: session.recentLoss())
        return (summary, session.losses)
    }

    func denoise(_ model: some DenoisingModel, _ x: Tensor) -> Tensor {
        model.eval()
        return model(x, timesteps: Array(repeating: 0, count: x.shape[0]), classLabels: nil)
    }

}
