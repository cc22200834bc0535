import ArgumentParser
import ChapterSupport
import Diffusion
import Foundation
import TensorCore

extension Conditional {
    struct Evaluate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Score generated digits: class accuracy (does the classifier read the asked-for digit?) and FID.",
            discussion: """
                FID is computed on the shipped MNIST classifier's 128 penultimate features against the 10,000 test digits, \
                and printed beside its real-vs-real floor: the FID of as many real training digits.
                """)

        @OptionGroup var sampling: SamplingOptions
        @OptionGroup(title: "Scoring") var scoring: ScoringOptions

        @Option(help: "Write the report as JSON to this file.")
        var json: String?

        func run() throws {
            let trained = try sampling.load()
            let reference = try scoring.reference()
            let labels = scoring.labels
            let (images, seconds) = try timed { try sampling.generateInBatches(trained, labels: labels) }
            let result = EvaluationReport.score(images: images, labels: labels, reference: reference,
                                                guidance: sampling.guidance, sampler: sampling.solver.sampler.rawValue,
                                                steps: sampling.settings().stepCount(timesteps: trained.schedule.steps), seconds: seconds)
            print("\(labels.count) samples, \(sampling.settings().summary(timesteps: trained.schedule.steps)), seed \(sampling.seed), \(fmt(seconds, 1)) s")
            print(result.table)
            if let json {
                try AtomicFile.write(try result.json(), to: URL(fileURLWithPath: json))
                report("report", URL(fileURLWithPath: json))
            }
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write generated digits in MNIST's IDX format (images-idx3-ubyte, labels-idx1-ubyte) for outside tools.")

        @OptionGroup var sampling: SamplingOptions

        @Option(help: "Samples per class (0-9).")
        var perClass = 100

        @Option(help: "Output directory.")
        var out = "runs/export"

        func validate() throws {
            guard perClass >= 1 && perClass <= 10_000 else { throw ValidationError("--per-class must be in 1...10000, got \(perClass)") }
        }

        func run() throws {
            let trained = try sampling.load()
            let labels = (0...9).flatMap { Array(repeating: $0, count: perClass) }
            let images = try sampling.generateInBatches(trained, labels: labels)
            let directory = URL(fileURLWithPath: out, isDirectory: true)
            try IDXWriter.writeDataset(images: images, labels: labels, to: directory)
            print("wrote \(labels.count) digits to \(directory.relativePath)/images-idx3-ubyte and labels-idx1-ubyte")
        }
    }
}
