import ArgumentParser
import ChapterSupport
import Diffusion
import Foundation
import TensorCore

/// The flags that pick the two classifiers of classifier guidance and their gradient scales.
struct ClassifierGuidanceOptions: ParsableArguments {
    @Option(help: "The clean MNIST classifier that guides, read on x0hat.")
    var cleanClassifier = ShippedFiles.classifier

    @Option(help: "The noise-aware classifier p(c | x_t, t) (written by train-noisy-classifier).")
    var noisyClassifier = ShippedFiles.noisyClassifier

    @Option(help: "Gradient scale s of the clean classifier on x0hat.")
    var cleanScale: Float = 2

    @Option(help: "Gradient scale s of the noise-aware classifier.")
    var noisyScale: Float = 16

    func validate() throws {
        try checkScale(cleanScale, flag: "clean-scale")
        try checkScale(noisyScale, flag: "noisy-scale")
    }

    /// The two guides, as functions of a batch's classes.
    func guides() throws -> (clean: ([Int]) -> any SamplingGuide, noisy: ([Int]) -> any SamplingGuide) {
        let clean = try loadCleanClassifier(cleanClassifier), noisy = try loadNoiseAwareClassifier(noisyClassifier)
        let (cs, ns) = (cleanScale, noisyScale)
        return ({ ClassifierGuidance(classifier: .clean(clean), classes: $0, scale: cs) },
                { ClassifierGuidance(classifier: .noiseAware(noisy), classes: $0, scale: ns) })
    }
}

extension Guidance {
    struct Classifier: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Classifier guidance: steer the unconditional model (the null class) to each digit with a classifier.",
            discussion: """
                eps_hat = eps - s sqrt(1 - alphabar_t) grad log p(c | x_t), with the clean classifier read on x0hat and \
                with the noise-aware one read on x_t; beside them the unguided unconditional model and classifier-free \
                guidance of the conditional model. Rows: those four ways (--count rows each), columns: the digits 0-9, \
                every row from the same starting noise.
                """)

        @OptionGroup var options: GuidedSamplingOptions
        @OptionGroup(title: "Classifiers") var classifiers: ClassifierGuidanceOptions

        @Option(help: "Classifier-free guidance w of the conditional row.")
        var guidance = SamplingSettings.defaults.guidance

        @Option(help: "Rows per way (each row: one of each digit).")
        var count = 2

        func validate() throws {
            try checkScale(guidance, flag: "guidance")
            guard (1...16).contains(count) else { throw ValidationError("--count must be in 1...16, got \(count)") }
        }

        func run() throws {
            let trained = try options.load()
            let (clean, noisy) = try classifiers.guides()
            let reader = try loadCleanClassifier(classifiers.cleanClassifier)
            let out = try options.directory()
            let classes = (0..<count).flatMap { _ in Array(0...9) }
            let ways: [(String, TrainedModel.Conditioning, Float, (([Int]) -> (any SamplingGuide)?))] = [
                ("none", .unconditional, 0, { _ in nil }),
                ("clean", .unconditional, 0, clean),
                ("noisy", .unconditional, 0, noisy),
                ("cfg", .classes, guidance, { _ in nil }),
            ]
            var rows: [Tensor] = [], labels: [String] = []
            print("| way | seconds | accuracy (clean classifier) |\n|---|---|---|")
            for (name, conditioning, w, guide) in ways {
                let (images, seconds) = try options.generate(trained, classes: classes, conditioning: conditioning,
                                                             settings: options.settings(guidance: w), label: name, makeGuide: guide)
                let hits = zip(reader.predict(images), classes).filter { $0 == $1 }.count
                print("| \(name) | \(fmt(seconds, 2)) | \(hits)/\(classes.count) |")
                rows.append(images)
                labels += Array(repeating: name, count: count)
            }
            let grid = ImageGrid.make(Tensor.concat(rows, axis: 0).clamped(-1, 1), columns: 10, range: -1...1, scale: 2,
                                      rowLabels: labels, columnLabels: (0...9).map(String.init))
            try writeImage(grid, out, "classifier.png", "rows: unguided, clean classifier, noise-aware classifier, classifier-free")
        }
    }
}
