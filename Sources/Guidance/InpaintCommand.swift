import ArgumentParser
import ChapterSupport
import Diffusion
import Foundation
import TensorCore

/// Inpainting: erase part of a digit and let the model complete it, with and without RePaint's resampling
/// (Diffusion/Editing/Inpainting.swift).
struct InpaintCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inpaint",
        abstract: "Erase part of a digit and let the model fill it in (RePaint's resampling as an option).",
        discussion: """
            Rows are the digits (MNIST test set, or --image with --mask), columns the digit, what the model
            is shown (erased pixels gray), the completion without resampling and with --resample u.
            Examples:
              Guidance inpaint                              (the first 0-9 of the test set, right half erased)
              Guidance inpaint --erase top --resample 10 --as 8
              Guidance inpaint --image drawing.png --mask mask.png   (white in the mask: the pixels to fill)
            """)

    @OptionGroup var edit: EditOptions

    @Option(help: "MNIST test-set digits, comma separated (default: the first 0, 1, ..., 9 of the test set).")
    var indices: String?

    @Option(help: "A PNG the size of --image: white marks the pixels to fill, black those to keep.")
    var mask: String?

    @Option(help: "Without --mask: the half to erase (left, right, top, bottom).")
    var erase: Inpainting.Half = .right

    @Option(name: .customLong("as"), help: "Complete every digit as this class (default: test digits as their own class, --image unconditionally).")
    var asClass: Int?

    @Option(help: "Solver steps (DDIM from T - 1 down).")
    var steps = 50

    @Option(help: "DDIM eta: 1 is DDPM-like (RePaint's), 0 deterministic.")
    var eta: Float = 1

    @Option(help: "RePaint's u for the last column: each step taken u times, noising back in between (1-\(EditingError.maxResampling)).")
    var resample = 5

    @Option(help: "Classifier-free guidance scale w.")
    var guidance: Float = 0

    func validate() throws {
        if let indices { _ = try integers(indices, flag: "indices") }
        if let asClass, !(0...9).contains(asClass) { throw ValidationError("--as must be a digit 0-9, got \(asClass)") }
        if mask != nil && edit.image == nil { throw ValidationError("--mask goes with --image (test digits are erased by --erase)") }
        if let mask, !mask.lowercased().hasSuffix(".png") { throw ValidationError("--mask must name a .png file, got '\(mask)'") }
        guard (1...1000).contains(steps) else { throw ValidationError("--steps must be in 1...1000, got \(steps)") }
        guard eta.isFinite && (0...1).contains(eta) else { throw ValidationError("--eta must be in 0...1, got \(eta)") }
        guard (1...EditingError.maxResampling).contains(resample) else { throw ValidationError("--resample must be in 1...\(EditingError.maxResampling), got \(resample)") }
        guard guidance.isFinite && SamplingSettings.guidanceRange.contains(guidance) else { throw ValidationError("--guidance must be in 0...20, got \(guidance)") }
    }

    func run() throws {
        let trained = try edit.load()
        let images: Tensor, known: Tensor, labels: [Int?]
        if let path = edit.image {
            let picture = try GrayImage.readPNG(contentsOf: URL(fileURLWithPath: path))
            if let mask {
                let m = try GrayImage.readPNG(contentsOf: URL(fileURLWithPath: mask))
                guard let pair = DigitImage.imageAndMask(picture, mask: m, polarity: edit.polarity, fit: edit.fit) else {
                    throw ValidationError("--mask \(mask) is \(m.width)x\(m.height) but --image \(path) is \(picture.width)x\(picture.height); they must be the same size")
                }
                images = pair.image
                known = pair.known
            } else {
                images = DigitImage.tensor(from: picture, polarity: edit.polarity, fit: edit.fit)
                known = Inpainting.halfMask(erase, count: 1)
            }
            labels = [asClass]
        } else {
            let digits = try edit.testDigits(try indices.map { try integers($0, flag: "indices") } ?? edit.firstOfEachDigit(), flag: "indices")
            images = digits.images
            known = Inpainting.halfMask(erase, count: digits.labels.count)
            labels = digits.labels.map { asClass ?? $0 }
        }
        let n = images.shape[0]
        var columns: [Tensor] = [images, images * known]  // erased pixels at 0: mid-gray
        for u in [1, resample] {
            let (bar, update) = progressBar("inpaint u=\(u)", total: steps, items: n * u)
            columns.append(try Inpainting.inpaint(trained, images: images, known: known, labels: labels, steps: steps, eta: eta,
                                                  resampling: u, guidance: guidance, seed: edit.seed, progress: update))
            bar.finish()
        }
        if labels.allSatisfy({ $0 != nil }) {
            let reader = try shippedClassifier()
            for (u, filled) in [(1, columns[2]), (resample, columns[3])] {
                let read = reader.predict(filled.clamped(-1, 1))
                print("  u = \(u): the classifier reads \(zip(read, labels).filter { $0 == $1 }.count) of \(n) completions as the class asked for")
            }
        }
        let shown = min(n, 20)
        let tiles = (0..<shown).flatMap { i in columns.map { $0.narrow(axis: 0, start: i, length: 1) } }
        let grid = ImageGrid.make(Tensor.concat(tiles, axis: 0).clamped(-1, 1), columns: 4, range: -1...1, scale: 3,
                                  rowLabels: labels.prefix(shown).map { $0.map(String.init) ?? "?" }, columnLabels: ["in", "shown", "u=1", "u=\(resample)"])
        try writeImage(grid, try edit.directory(), "inpainting.png", "inpainting: rows the digits, columns source, erased, u = 1, u = \(resample)")
    }
}
