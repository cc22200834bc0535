import ArgumentParser
import Diffusion
import Foundation
import TensorCore

/// How generated digits are scored: the classifier, the real digits, how many samples.
public struct ScoringOptions: ParsableArguments {
    @Option(help: "Samples per class.")
    public var perClass = 100

    @Option(help: "Classifier weights (default: the shipped one for --dataset).")
    public var classifier: String?

    @Option(help: "What the samples are scored against: mnist or fashion-mnist (its test set for FID, its training set for the real-vs-real floor).")
    public var dataset: Dataset = .mnist

    @Option(help: "A directory in MNIST's IDX format instead of --dataset.")
    public var data: String?

    /// The classifier file: `--classifier`, else the shipped one for the dataset.
    public var classifierPath: String {
        classifier ?? (dataset == .fashionMNIST ? ShippedFiles.fashionClassifier : ShippedFiles.classifier)
    }

    /// The data's name in a map's provenance ("MNIST" for the default, as maps were first written).
    public var dataName: String { data ?? (dataset == .mnist ? "MNIST" : dataset.rawValue) }

    public init() {}

    public func validate() throws {
        guard perClass >= 2 && perClass <= 2000 else { throw ValidationError("--per-class must be in 2...2000, got \(perClass)") }
    }

    /// 0, 0, ..., 1, 1, ..., 9: `perClass` of each digit.
    public var labels: [Int] { (0...9).flatMap { Array(repeating: $0, count: perClass) } }

    /// Loads the classifier and both splits of the dataset, and computes the test features and the floor.
    public func reference() throws -> ScoringReference {
        let file = try SafeTensors.read(contentsOf: ShippedFiles.resolve(classifierPath))
        var rng = SeededGenerator(seed: 0)
        let reader = MNISTClassifier(random: nil, rng: &rng)
        try reader.load(from: file)
        let directory = data.map { URL(fileURLWithPath: $0) } ?? dataset.directory
        let test = try MNIST.load(split: .test, directory: directory), train = try MNIST.load(split: .train, directory: directory)
        return ScoringReference(classifier: reader, test: test, train: train, floorCount: labels.count)
    }
}
