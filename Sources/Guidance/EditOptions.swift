import ArgumentParser
import ChapterSupport
import Diffusion
import Foundation
import TensorCore

/// What the editing commands share: the model, the pictures to edit (a PNG or digits of the MNIST test set),
/// the seed and where the results go.
struct EditOptions: ParsableArguments {
    @Option(help: "Model file (shipped: \(ShippedFiles.conditionalModel)) or a training checkpoint.")
    var checkpoint = ShippedFiles.conditionalModel

    @Option(help: "A PNG of a digit to edit, any size, color or gray (instead of MNIST test digits).")
    var image: String?

    @Option(help: "Which way round the ink is in --image: auto (a light border means dark ink, inverted), light (white on black, as MNIST) or dark (black on white).")
    var polarity: InkPolarity = .auto

    @Flag(inversion: .prefixedNo, help: "Frame --image as MNIST does: the ink's box scaled to 20x20, centred by its centre of mass.")
    var fit = true

    @Option(help: "Random seed: the same seed, the same edit.")
    var seed: UInt64 = 0

    @Option(help: "Directory for the pictures.")
    var output = "runs/editing"

    /// Loads the class-conditional model.
    func load() throws -> TrainedModel {
        try TrainedModel.loadConditional(contentsOf: ShippedFiles.resolve(checkpoint))
    }

    /// `--image` read as `[1, 1, 28, 28]` in [-1, 1].
    func pictureFromFile(_ path: String) throws -> Tensor {
        try DigitImage.load(contentsOf: URL(fileURLWithPath: path), polarity: polarity, fit: fit)
    }

    /// Test-set digits `[n, 1, 28, 28]` in [-1, 1] and their labels.
    func testDigits(_ indices: [Int], flag: String) throws -> (images: Tensor, labels: [Int]) {
        let test = try Dataset.mnist.load(.test)
        if let bad = indices.first(where: { !(0..<test.count).contains($0) }) {
            throw ValidationError("--\(flag) must be test-set indices in 0...\(test.count - 1), got \(bad)")
        }
        return test.batch(indices, range: .minusOneToOne)
    }

    /// The first test-set index of each digit 0-9 (rows of the default grids).
    func firstOfEachDigit() throws -> [Int] {
        let test = try Dataset.mnist.load(.test)
        return (0...9).map { d in test.labels.firstIndex(of: UInt8(d)) ?? 0 }
    }

    /// The output directory, created if needed.
    func directory() throws -> URL {
        let url = URL(fileURLWithPath: output, isDirectory: true)
        do { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) } catch {
            throw ValidationError("--output: cannot create the directory \(url.path): \(error.localizedDescription)")
        }
        return url
    }

    func validate() throws {
        if let image, !image.lowercased().hasSuffix(".png") { throw ValidationError("--image must name a .png file, got '\(image)'") }
    }
}

extension InkPolarity: ExpressibleByArgument {}
extension Inpainting.Half: ExpressibleByArgument {}

/// "0,3,7" -> [0, 3, 7], with a message naming the flag.
func integers(_ text: String, flag: String) throws -> [Int] {
    let parts = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard !parts.isEmpty, parts.count <= 64, parts.allSatisfy({ $0 != nil }) else { throw ValidationError("--\(flag): cannot read '\(text)'; give integers separated by commas, e.g. 0,3,7") }
    return parts.map { $0! }
}

/// "0.25,0.5,1" -> [0.25, 0.5, 1], with a message naming the flag.
func numbers(_ text: String, flag: String) throws -> [Float] {
    let parts = text.split(separator: ",").map { Float($0.trimmingCharacters(in: .whitespaces)) }
    guard !parts.isEmpty, parts.count <= 16, parts.allSatisfy({ $0 != nil }) else { throw ValidationError("--\(flag): cannot read '\(text)'; give numbers separated by commas, e.g. 0.25,0.5,1") }
    return parts.map { $0! }
}

/// Classes 0-9 checked, with a message naming the flag.
func classList(_ text: String, flag: String) throws -> [Int] {
    let list = try integers(text, flag: flag)
    if let bad = list.first(where: { !(0...9).contains($0) }) { throw ValidationError("--\(flag) must be digits 0-9, got \(bad)") }
    return list
}

/// The shipped MNIST classifier, to say whether an edit reads as the class asked for.
func shippedClassifier() throws -> MNISTClassifier {
    var rng = SeededGenerator(seed: 0)
    let reader = MNISTClassifier(random: nil, rng: &rng)
    try reader.load(from: try SafeTensors.read(contentsOf: ShippedFiles.resolve(ShippedFiles.classifier)))
    return reader
}

/// A progress bar over `total` steps of `items` images, with an update closure.
func progressBar(_ label: String, total: Int, items: Int) -> (bar: ProgressBar, update: (Int, Int) -> Void) {
    let bar = ProgressBar(total: total, label: label, itemsPerStep: items)
    return (bar, { done, _ in bar.update(step: done) })
}
