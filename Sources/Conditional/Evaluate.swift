import ArgumentParser
import ChapterSupport
import Diffusion
import Foundation
import TensorCore

extension Conditional {
    struct Evaluate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Score generated digits: class accuracy (does the classifier read the asked-for digit?) and FID.",
            discussion: "FID is computed on the shipped MNIST classifier's 128 penultimate features against the 10,000 test digits.")

        @OptionGroup var sampling: SamplingOptions

        @Option(help: "Samples per class.")
        var perClass = 100

        @Option(help: "Classifier weights.")
        var classifier = ShippedFiles.classifier

        @Option(help: "Write the report as JSON to this file.")
        var json: String?

        @Option(help: "MNIST directory (for the test set).")
        var data: String?

        func validate() throws {
            guard perClass >= 2 && perClass <= 2000 else { throw ValidationError("--per-class must be in 2...2000, got \(perClass)") }
        }

        func run() throws {
            let trained = try sampling.load()
            let classifierFile = try SafeTensors.read(contentsOf: ShippedFiles.resolve(classifier))
            var rng = SeededGenerator(seed: 0)
            let reader = MNISTClassifier(random: nil, rng: &rng)
            try reader.load(from: classifierFile)
            let test = try MNIST.load(split: .test, directory: data.map { URL(fileURLWithPath: $0) } ?? MNIST.defaultDirectory)
            let labels = (0...9).flatMap { Array(repeating: $0, count: perClass) }
            let (images, seconds) = timed { sampling.generateInBatches(trained, labels: labels) }
            let result = EvaluationReport.score(images: images, labels: labels, classifier: reader, test: test,
                                                guidance: sampling.guidance, sampler: sampling.sampler.rawValue,
                                                steps: sampling.sampler == .ddpm ? trained.schedule.steps : sampling.steps, seconds: seconds)
            print("\(labels.count) samples, w = \(sampling.guidance), \(sampling.sampler) \(result.steps) steps, seed \(sampling.seed), \(fmt(seconds, 1)) s")
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
            let images = sampling.generateInBatches(trained, labels: labels)
            let directory = URL(fileURLWithPath: out, isDirectory: true)
            try IDXWriter.writeDataset(images: images, labels: labels, to: directory)
            print("wrote \(labels.count) digits to \(directory.relativePath)/images-idx3-ubyte and labels-idx1-ubyte")
        }
    }
}
