import ArgumentParser
import ChapterSupport
import Diffusion
import Foundation
import TensorCore

/// Chapter 1 (Chapters/01-Basic.md): a plain U-Net learns to undo a one-shot corruption of MNIST digits.
@main
struct Basic: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Chapter 1: train a small U-Net to denoise MNIST digits in one shot, then sample by iterating.",
        discussion: """
            Corrupts each digit x by a random amount a: x (1 - a) + n a with n ~ U(0, 1), and trains BasicUNet to \
            predict x (MSE, Adam). Writes to --output: denoising.png (clean / corrupted / predicted across amounts), \
            loss.png, samples-5steps.png and samples-40steps.png (the iterative sampler), sampling-steps.png, \
            basic.safetensors (the weights) and summary.json.
            """)

    @OptionGroup var common: CommonOptions
    @OptionGroup var training: TrainingLoopOptions<LoopDefaults>

    /// Chapter 1's defaults and wording for the training-loop options.
    enum LoopDefaults: TrainingLoopDefaults {
        static let epochs = 3
        static let epochsHelp = "Passes over the 60,000 training images."
        static let lrHelp = "Adam learning rate."
        static let minutesHelp = "Stop training after this many minutes (whole epochs otherwise)."
    }

    func run() throws {
        let out = try common.outputDirectory(default: "basic")
        let train = try common.loadData(.train), test = try common.loadData(.test)
        print("Chapter 1: BasicUNet, one-shot denoising on \(common.limit ?? train.count) training images")

        // 1. The model and its optimizer. Every random number below comes from this seed.
        var rng = SeededGenerator(seed: common.seed)
        let model = BasicUNet(rng: &rng)
        print("  parameters: \(model.parameterCount)")
        let session = TrainingSession(model: model, optimizer: Adam(model.parameters, learningRate: training.lr),
                                      schedule: LearningRateSchedule(.constant, base: training.lr, totalSteps: 1), ema: nil,
                                      rng: rng.split(), dropout: RandomSource(seed: common.seed))

        // 2. Train: corrupt, predict the clean image, MSE.
        let budget = TrainingBudget(epochs: training.epochs, minutes: training.minutes, limit: common.limit)
        let (summaries, seconds) = try timed {
            try runEpochs(data: train, batchSize: training.batchSize, budget: budget, seed: common.seed, range: .zeroToOne) { images, _ in
                try session.train { model, rng in oneShotDenoisingLoss(model: model, x: images, rng: &rng) }
            }
        }
        for s in summaries {
            print("  epoch \(s.epoch): mean loss \(fmt(s.meanLoss)), \(s.steps) steps, \(fmt(s.imagesPerSecond, 0)) img/s")
        }

        // 3. Pictures: what one-shot denoising does at each amount of corruption.
        let digits = test.batch(Array(0..<8), range: .zeroToOne).images
        let amounts = (0..<8).map { Float($0) / 7 }
        var noiseRng = SeededGenerator(seed: common.seed &+ 1)
        let noisy = corrupt(digits, amounts: amounts, noise: .uniform(digits.shape, using: &noiseRng))
        let predicted = withoutGrad { model(noisy) }
        let grid = ImageGrid.make(Tensor.concat([digits, noisy, predicted.clamped(0, 1)], axis: 0), columns: 8, range: 0...1,
                                  rowLabels: ["clean", "noisy", "predicted"],
                                  columnLabels: amounts.map { String(format: "a=%.2f", $0) })
        try writeImage(grid, out, "denoising.png", "clean / corrupted / predicted")
        try lossCurve(title: "BasicUNet training loss (MSE)", series: [("BasicUNet", session.losses)])
            .writePNG(to: out.appendingPathComponent("loss.png"))
        report("loss curve", out.appendingPathComponent("loss.png"))

        // 4. Sampling by iteration: start from noise, move 1/(n - i) of the way to the prediction each step.
        for steps in [5, 40] {
            var sampleRng = SeededGenerator(seed: common.seed &+ 2)
            let history = iterativeDenoise(model: model, count: 64, steps: steps, rng: &sampleRng)
            try writeImage(ImageGrid.make(history.last!.clamped(0, 1), columns: 8, range: 0...1, scale: 2),
                      out, "samples-\(steps)steps.png", "\(steps)-step samples")
            if steps == 5 {
                // Each row one sample, each column one step: noise on the left, the result on the right.
                let frames = history.map { $0.narrow(axis: 0, start: 0, length: 8) }
                let strip = Tensor.concat(frames, axis: 1).reshaped([8 * frames.count, 1, 28, 28])
                try writeImage(ImageGrid.make(strip.clamped(0, 1), columns: frames.count, range: 0...1,
                                         columnLabels: (0..<frames.count).map { "step \($0)" }),
                          out, "sampling-steps.png", "the 5-step sampler, step by step")
            }
        }

        // 5. The weights, and the run's numbers (summary.json) for the record.
        var checkpoint = model.stateDictFile()
        checkpoint.metadata = ["model": "BasicUNet", "steps": String(session.step), "seed": String(common.seed)]
        try checkpoint.write(to: out.appendingPathComponent("basic.safetensors"))
        report("weights", out.appendingPathComponent("basic.safetensors"))
        let sampleRate = forwardImagesPerSecond(model)
        let summary = RunSummary(model: "BasicUNet", parameters: model.parameterCount, epochs: summaries, trainSeconds: seconds,
                                 trainImagesPerSecond: Double(session.step * training.batchSize) / seconds,
                                 sampleImagesPerSecond: sampleRate, finalLoss: session.recentLoss())
        try summary.write(to: out.appendingPathComponent("summary.json"))
        print("  trained \(session.step) steps in \(fmt(seconds, 1)) s (\(fmt(summary.trainImagesPerSecond, 0)) img/s); " +
              "forward \(fmt(sampleRate, 0)) img/s; final loss \(fmt(summary.finalLoss))")
    }

}
