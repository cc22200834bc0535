import ArgumentParser
import ChapterSupport
import Diffusion
import Foundation
import TensorCore

extension FineTuning {
    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Draw clothing with the shipped Fashion-MNIST model (or any model from 'compare'): one item, or a grid of every class.",
            discussion: """
                Examples:
                  FineTuning generate --item sneaker --count 8
                  FineTuning generate --grid --count 8 --out fashion.png
                  FineTuning generate --grid --checkpoint runs/fine-tuning/from-scratch/model.safetensors
                """)

        @Option(help: "Model file (shipped: \(ShippedFiles.fashionModel)) or a training checkpoint.")
        var checkpoint = ShippedFiles.fashionModel

        @Option(help: "The item to draw: a class number 0-9 or a name (\(Dataset.fashionMNIST.classNames.joined(separator: ", "))).")
        var item: String?

        @Flag(help: "One row per class, --count items each.")
        var grid = false

        @Option(help: "How many items (per class with --grid).")
        var count = 8

        @Option(help: "Classifier-free guidance scale w.")
        var guidance = SamplingSettings.defaults.guidance

        @OptionGroup(title: "Sampler") var solver: SamplerOptions

        @Option(help: "Random seed: the same seed draws the same items.")
        var seed: UInt64 = 0

        @Option(help: "Output PNG file.")
        var out = "fashion.png"

        @Option(help: "Display scale (pixels per image pixel).")
        var scale = 4

        /// `--item` as a class index: a number, or a class name (case and punctuation ignored, "sneaker", "ankle boot").
        var itemClass: Int? {
            guard let item else { return nil }
            if let k = Int(item), (0...9).contains(k) { return k }
            func key(_ s: String) -> String { s.lowercased().filter { $0.isLetter } }
            let names = Dataset.fashionMNIST.classNames
            return names.firstIndex { key($0) == key(item) } ?? names.firstIndex { key($0).hasPrefix(key(item)) && !key(item).isEmpty }
        }

        func validate() throws {
            guard (item != nil) != grid else { throw ValidationError("give exactly one of --item ITEM or --grid") }
            if item != nil && itemClass == nil {
                throw ValidationError("--item: '\(item!)' is not a class number 0-9 or one of \(Dataset.fashionMNIST.classNames.joined(separator: ", "))")
            }
            guard out.lowercased().hasSuffix(".png") else { throw ValidationError("--out must name a .png file, got '\(out)'") }
            guard (1...256).contains(count) else { throw ValidationError("--count must be in 1...256, got \(count)") }
            guard (1...32).contains(scale) else { throw ValidationError("--scale must be in 1...32, got \(scale)") }
            guard guidance.isFinite && SamplingSettings.guidanceRange.contains(guidance) else {
                throw ValidationError("--guidance must be in 0...20, got \(guidance)")
            }
        }

        func run() throws {
            let url = ShippedFiles.resolve(checkpoint)
            let trained = try TrainedModel.loadConditional(contentsOf: url, classes: 10)
            let settings = solver.settings(guidance: guidance)
            do { try settings.validate(timesteps: trained.schedule.steps) } catch { throw ValidationError("--\(error) (\(url.relativePath))") }
            let classes = grid ? Array(0...9) : [itemClass!]
            let labels = classes.flatMap { Array(repeating: $0, count: count) }
            let images = try generateWithProgress(trained, labels: labels, settings: settings, seed: seed)
            let names = Dataset.fashionMNIST.classNames
            let picture = ImageGrid.picture(images.clamped(-1, 1), columns: min(count, 16), range: -1...1, scale: scale,
                                            rowLabels: count <= 16 ? classes.map { names[$0] } : nil)
            let target = URL(fileURLWithPath: out)
            try picture.writePNG(to: target)
            print("\(labels.count) items (\(classes.map { names[$0] }.joined(separator: ", "))), \(settings.summary(timesteps: trained.schedule.steps)), seed \(seed)")
            report("picture", target)
        }
    }
}
