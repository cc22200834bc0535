import ArgumentParser
import ChapterSupport
import Diffusion
import Foundation
import TensorCore

extension Guidance {
    struct Loss: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Guidance by a loss on x0hat: a target amount of ink, or where the digit's mass sits.",
            discussion: """
                At every step x_t moves down the loss's gradient, x_t <- x_t - s alphabar_t grad L(x0hat(x_t)), taken two ways: with \
                eps held fixed (x0hat, cheap) and through the U-Net (exact). Draws the same starting noise three times \
                (no guidance, x0hat, unet), one row each, and prints what each cost and what the loss measures. Examples:
                  Guidance loss --loss ink --target 0.3
                  Guidance loss --loss centroid --at 9,9 --digit 3
                """)

        enum Kind: String, ExpressibleByArgument, CaseIterable { case ink, centroid }

        @OptionGroup var options: GuidedSamplingOptions

        @Option(help: "The loss: ink (mean brightness to --target) or centroid (centre of ink to --at).")
        var loss: Kind = .ink

        @Option(help: "Target mean ink in 0...1 for --loss ink (MNIST's digits average about 0.13).")
        var target: Float = 0.3

        @Option(help: "Target centre of ink X,Y in pixels from the top left (0...27) for --loss centroid.")
        var at = "8,8"

        @Option(help: "Guidance scale s (default: 1000 for ink, 400 for centroid).")
        var scale: Float?

        @Option(help: "Draw this digit with the conditional model (classifier-free guidance --guidance); default: the unconditional model.")
        var digit: Int?

        @Option(help: "Classifier-free guidance w with --digit.")
        var guidance = SamplingSettings.defaults.guidance

        @Option(help: "Images per row.")
        var count = 8

        var point: (x: Float, y: Float)? {
            let parts = at.split(separator: ",").compactMap { Float($0.trimmingCharacters(in: .whitespaces)) }
            guard parts.count == 2, parts.allSatisfy({ $0 >= 0 && $0 <= 27 }) else { return nil }
            return (parts[0], parts[1])
        }

        var guidanceLoss: GuidanceLoss {
            loss == .ink ? .ink(target: target) : .centroid(x: point?.x ?? 0, y: point?.y ?? 0)
        }

        func validate() throws {
            guard target.isFinite && (0...1).contains(target) else { throw ValidationError("--target must be in 0...1, got \(target)") }
            guard point != nil else { throw ValidationError("--at must be X,Y with both in 0...27, got '\(at)'") }
            if let scale { try checkScale(scale, flag: "scale") }
            if let digit, !(0...9).contains(digit) { throw ValidationError("--digit must be 0-9, got \(digit)") }
            try checkScale(guidance, flag: "guidance")
            guard (1...64).contains(count) else { throw ValidationError("--count must be in 1...64, got \(count)") }
        }

        func run() throws {
            let trained = try options.load()
            let out = try options.directory()
            let s = scale ?? (loss == .ink ? 1000 : 400)
            let classes = Array(repeating: digit ?? 0, count: count)
            let conditioning: TrainedModel.Conditioning = digit == nil ? .unconditional : .classes
            let settings = options.settings(guidance: digit == nil ? 0 : guidance)
            let the = guidanceLoss
            var rows: [Tensor] = [], lines: [String] = []
            lines.append("| gradient | s | seconds | s per image | \(the.measureName) |")
            lines.append("|---|---|---|---|---|")
            for gradient in [nil, LossGuidance.Gradient.x0hat, .unet] {
                let (images, seconds) = try options.generate(trained, classes: classes, conditioning: conditioning, settings: settings,
                                                             label: gradient?.rawValue ?? "none") { _ in
                    gradient.map { LossGuidance(loss: the, scale: s, gradient: $0) }
                }
                rows.append(images)
                let measured = the.measure(images)
                lines.append("| \(gradient?.rawValue ?? "none") | \(gradient == nil ? "0" : fmt(s, 0)) | \(fmt(seconds, 2)) | " +
                             "\(fmt(seconds / Double(count), 3)) | \(fmt(measured.reduce(0, +) / Float(measured.count), 3)) |")
            }
            let what = digit.map { "the digit \($0), w = \(guidance)" } ?? "the unconditional model (null class)"
            print("Guidance by a loss: \(the), \(what), \(settings.summary(timesteps: trained.schedule.steps)), seed \(options.seed)")
            print(lines.joined(separator: "\n"))
            let grid = ImageGrid.make(Tensor.concat(rows, axis: 0).clamped(-1, 1), columns: count, range: -1...1, scale: 2,
                                      rowLabels: ["none", "x0hat", "unet"])
            try writeImage(grid, out, "loss-\(loss.rawValue).png", "rows: no guidance, gradient through x0hat, through the U-Net")
        }
    }
}
