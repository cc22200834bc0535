import ArgumentParser
import ChapterSupport
import Diffusion
import Foundation
import TensorCore

/// DDIM inversion: real digits run backwards to their noise, then that noise sampled as every class
/// (Diffusion/Editing/DDIMInversion.swift).
struct InvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "invert",
        abstract: "Run DDIM backwards from real digits to their noise, then sample that noise as each class 0-9.",
        discussion: """
            Rows are the source digits (MNIST test set, or --image), columns the source, its reconstruction
            (the noise sampled again as its own class) and the classes 0-9. It prints how close the
            reconstructions are and how much of the source's style (ink, slant) the other classes keep.
            Examples:
              Guidance invert
              Guidance invert --indices 3,5,7 --steps 100
              Guidance invert --image my-three.png --label 3
            """)

    @OptionGroup var edit: EditOptions

    @Option(help: "MNIST test-set digits to invert, comma separated (default: the first 0, 1, ..., 9 of the test set).")
    var indices: String?

    @Option(help: "The class to invert --image with (default: the null class, unconditional).")
    var label: Int?

    @Option(help: "DDIM steps, both ways (more: a closer round trip).")
    var steps = 50

    @Option(help: "Classifier-free guidance w when sampling the noise as the target classes (the inversion and the reconstruction use 0).")
    var guidance: Float = 0

    func validate() throws {
        if let indices { _ = try integers(indices, flag: "indices") }
        if let label, !(0...9).contains(label) { throw ValidationError("--label must be 0-9, got \(label)") }
        guard (1...1000).contains(steps) else { throw ValidationError("--steps must be in 1...1000, got \(steps)") }
        guard guidance.isFinite && SamplingSettings.guidanceRange.contains(guidance) else { throw ValidationError("--guidance must be in 0...20, got \(guidance)") }
    }

    func run() throws {
        let trained = try edit.load()
        let sources: Tensor, labels: [Int?]
        if let path = edit.image {
            sources = try edit.pictureFromFile(path)
            labels = [label]
        } else {
            let digits = try edit.testDigits(try indices.map { try integers($0, flag: "indices") } ?? edit.firstOfEachDigit(), flag: "indices")
            sources = digits.images
            labels = digits.labels
        }
        let n = sources.shape[0]
        var bar = progressBar("invert", total: steps, items: n)
        let noise = try DDIMInversion.invert(trained, images: sources, labels: labels, steps: steps, progress: bar.update)
        bar.bar.finish()
        bar = progressBar("reconstruct", total: steps, items: n)
        let back = try DDIMInversion.generate(trained, noise: noise, labels: labels, steps: steps, progress: bar.update)
        bar.bar.finish()
        // Every source's noise as each class 0-9: batch [source 0 as 0...9, source 1 as 0...9, ...].
        let repeated = Tensor.concat((0..<n).flatMap { i in Array(repeating: noise.narrow(axis: 0, start: i, length: 1), count: 10) }, axis: 0)
        let targets = (0..<n).flatMap { _ in Array(0...9) }
        bar = progressBar("as 0-9", total: steps, items: 10 * n)
        let moved = try DDIMInversion.generate(trained, noise: repeated, labels: targets, steps: steps, guidance: guidance, progress: bar.update)
        bar.bar.finish()

        let error = zip(sources.scalars, back.clamped(-1, 1).scalars).map { abs($0 - $1) }
        print("  round trip (\(steps) steps): mean |x - reconstruction| = \(fmt(error.reduce(0, +) / Float(error.count))) (pixels in [-1, 1]), max \(fmt(error.max() ?? 0))")
        let read = try shippedClassifier().predict(moved.clamped(-1, 1))
        print("  the classifier reads \(zip(read, targets).filter { $0 == $1 }.count) of \(targets.count) re-drawn digits as the class asked for (w = \(guidance))")
        if n >= 3 {
            // For each target class, across the sources: does the output's ink/slant follow the source's? The
            // baseline: the same classes drawn from fresh noise, which knows nothing of the sources.
            var rng = SeededGenerator(seed: edit.seed &+ 1)
            bar = progressBar("baseline", total: steps, items: 10 * n)
            let fresh = try DDIMInversion.generate(trained, noise: Tensor.randomNormal(repeated.shape, using: &rng), labels: targets, steps: steps,
                                                   guidance: guidance, progress: bar.update)
            bar.bar.finish()
            let source = DigitStyle.of(sources), out = DigitStyle.of(moved), base = DigitStyle.of(fresh)
            for (name, value) in [("ink", \DigitStyle.ink), ("slant", \DigitStyle.slant)] as [(String, KeyPath<DigitStyle, Float>)] {
                func r(_ styles: [DigitStyle]) -> String {
                    fmt((0...9).map { c in DigitStyle.correlation(source.map { $0[keyPath: value] }, (0..<n).map { styles[$0 * 10 + c][keyPath: value] }) }.reduce(0, +) / 10, 2)
                }
                print("  \(name): correlation with the source across the \(n) sources, mean over classes 0-9: re-drawn \(r(out)), from fresh noise \(r(base))")
            }
        }
        var tiles: [Tensor] = []
        let shown = min(n, 20)  // the grid shows the first 20 rows; the figures above are over all
        for i in 0..<shown {
            tiles += [sources.narrow(axis: 0, start: i, length: 1), back.narrow(axis: 0, start: i, length: 1), moved.narrow(axis: 0, start: 10 * i, length: 10)]
        }
        let grid = ImageGrid.make(Tensor.concat(tiles, axis: 0).clamped(-1, 1), columns: 12, range: -1...1, scale: 3,
                                  rowLabels: labels.prefix(shown).map { $0.map(String.init) ?? "?" }, columnLabels: ["in", "back"] + (0...9).map(String.init))
        try writeImage(grid, try edit.directory(), "inversion.png", "DDIM inversion: rows the sources, columns source, reconstruction, classes 0-9")
    }
}
