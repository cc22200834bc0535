import ArgumentParser
import ChapterSupport
import Diffusion
import Foundation
import TensorCore

extension Conditional {
    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Draw the digit you ask for (or a number, or a guidance sweep) into a PNG.",
            discussion: """
                Examples:
                  Conditional generate --digit 7
                  Conditional generate --digit 3 --count 16 --guidance 4 --out threes.png
                  Conditional generate --number 2026 --out year.png
                  Conditional generate --equation "12+30" --out sum.png   (draws 12+30=42)
                  Conditional generate --sweep --out sweep.png     (rows 0-9; real test digits, then w = 0, 0.5, 2, 4; 4 each)
                  Conditional generate --grid --count 8            (rows 0-9, 8 samples each)
                  Conditional generate --digit 5 --trajectory      (the denoising, step by step)
                  Conditional generate --digit 5 --count 4 --animate five.gif   (x_t and x0hat, one frame per step)
                """)

        @OptionGroup var sampling: SamplingOptions

        @Option(help: "The digit to draw, 0-9.")
        var digit: Int?

        @Option(help: "A number to draw as a strip of digits, e.g. 2026 (at most 32 digits).")
        var number: String?

        @Option(help: "An equation of whole numbers and + - * /, e.g. \"12+30\": drawn with its answer (12+30=42), at most \(Equation.maxLength) characters.")
        var equation: String?

        @Flag(help: "A grid: rows are the digits 0-9; columns --count real test digits, then --count samples at each of w = 0, 0.5, 2, 4.")
        var sweep = false

        @Flag(help: "A grid: one row per digit 0-9, --count samples each.")
        var grid = false

        @Flag(help: "Also show the denoising trajectory (x_t at several steps).")
        var trajectory = false

        @Option(help: "Also write the denoising as an animated GIF (x_t and x0hat side by side, one frame per step).")
        var animate: String?

        @Option(help: "How many images of the digit (with --grid: per row, default 8; with --sweep: per cell, default 4).")
        var count: Int?

        /// `--count`, or the default of the chosen mode.
        var samples: Int { count ?? (sweep ? 4 : grid ? 8 : 1) }

        @Option(help: "Output PNG file.")
        var out = "digit.png"

        @Option(help: "Display scale (pixels per MNIST pixel).")
        var scale = 8

        func validate() throws {
            let modes = [digit != nil, number != nil, equation != nil, sweep, grid].filter { $0 }.count
            guard modes == 1 else { throw ValidationError("give exactly one of --digit D, --number N, --equation E, --sweep or --grid") }
            if let equation {
                do { _ = try Equation(equation) } catch { throw ValidationError("--equation '\(equation.prefix(40))': \(error)") }
            }
            if let digit, !(0...9).contains(digit) { throw ValidationError("--digit must be 0-9, got \(digit)") }
            if let number {
                guard !number.isEmpty, number.count <= 32, number.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                    throw ValidationError("--number must be 1 to 32 digits 0-9, got '\(number)'")
                }
            }
            if let count, !(1...256).contains(count) { throw ValidationError("--count must be in 1...256, got \(count)") }
            if sweep, samples > 16 { throw ValidationError("--count with --sweep must be in 1...16, got \(samples)") }
            guard scale >= 1 && scale <= 32 else { throw ValidationError("--scale must be in 1...32, got \(scale)") }
            guard out.lowercased().hasSuffix(".png") else { throw ValidationError("--out must name a .png file, got '\(out)'") }
            if let animate {
                guard digit != nil else { throw ValidationError("--animate goes with --digit D") }
                guard animate.lowercased().hasSuffix(".gif") else { throw ValidationError("--animate must name a .gif file, got '\(animate)'") }
            }
        }

        func run() throws {
            let trained = try sampling.load()
            let url = URL(fileURLWithPath: out)
            let (image, what): (GrayImage, String)
            if sweep {
                // The same seed for every column: each cell starts from the same noise, only w changes.
                let k = samples, scales: [Float] = [0, 0.5, 2, 4]
                let labels = (0...9).flatMap { Array(repeating: $0, count: k) }
                var groups = [(label: "real", images: try realDigits(perClass: k))]
                for w in scales { groups.append((label: "w=\(w)", images: try sampling.generate(trained, labels: labels, guidance: w).images)) }
                image = DiffusionFigures.sweep(groups, classes: 10, perClass: k)
                what = "guidance sweep (\(k) per cell)"
            } else if grid {
                let count = samples
                let labels = (0...9).flatMap { Array(repeating: $0, count: count) }
                let images = try sampling.generate(trained, labels: labels).images
                image = ImageGrid.make(images.clamped(-1, 1), columns: count, range: -1...1, scale: 2, rowLabels: (0...9).map(String.init))
                what = "\(count) samples of each digit"
            } else if let equation, let sum = try? Equation(equation) {
                let images = try sampling.generate(trained, labels: sum.digits).images
                image = EquationPicture.make(sum, digits: images, scale: scale)
                what = "the equation \(sum.text)"
            } else if let number {
                let labels = number.compactMap { $0.wholeNumberValue }
                let images = try sampling.generate(trained, labels: labels).images
                image = ImageGrid.make(images: images.clamped(-1, 1).scalars, count: labels.count, height: 28, width: 28,
                                       columns: labels.count, range: -1...1, scale: scale, padding: 0)
                what = "the number \(number)"
            } else {
                let d = digit ?? 0, count = samples
                let labels = Array(repeating: d, count: count)
                // About ten frames, whichever sampler: DDPM always runs all of the model's T steps.
                let total = sampling.settings().stepCount(timesteps: trained.schedule.steps)
                let every = animate != nil ? 1 : trajectory ? max(total / 10, 1) : 0
                let (images, path) = try sampling.generate(trained, labels: labels, recordEvery: every)
                if let animate {
                    let frames = DiffusionFigures.animationFrames(path, final: images, count: min(count, 8))
                    try GIFCodec.write(frames, to: URL(fileURLWithPath: animate), delay: max(4, min(50, 400 / max(frames.count, 1))))
                    report("animation (\(frames.count) frames)", URL(fileURLWithPath: animate))
                }
                if trajectory {
                    image = DiffusionFigures.trajectory(path, final: images, count: min(count, 4))
                } else {
                    image = ImageGrid.make(images.clamped(-1, 1), columns: Int(Double(count).squareRoot().rounded(.up)), range: -1...1,
                                           scale: scale)
                }
                what = count == 1 ? "a \(d)" : "\(count) images of \(d)"
            }
            try writeImage(image, url.deletingLastPathComponent(), url.lastPathComponent, what)
        }

        /// The first `perClass` test digits of each class, class-major, as `[10 * perClass, 1, 28, 28]` in [-1, 1].
        func realDigits(perClass: Int) throws -> Tensor {
            let test = try MNIST.load(split: .test)
            let indices = (0...9).flatMap { d in (0..<test.count).lazy.filter { test.labels[$0] == UInt8(d) }.prefix(perClass) }
            return Tensor(shape: [indices.count, 1, test.rows, test.cols], scalars: test.pixels(indices: indices, range: .minusOneToOne))
        }
    }
}
