import Foundation
import TensorCore

/// The real digits that generated ones are compared with, in the classifier's feature space: the test set's
/// features (computed once, reused for every report) and the *real-vs-real floor*, the FID of as many real
/// training digits as are scored. FID of a finite sample is biased upwards, so even real digits do not score 0:
/// read every FID as a multiple of the floor.
public struct ScoringReference: @unchecked Sendable {
    public let classifier: MNISTClassifier
    let realFeatures: Tensor
    let realLabels: [Int]
    /// FID of `floorCount` training digits (a seeded random choice) against the test set.
    public let floor: Double
    public let floorCount: Int

    /// - train: the training set, for the floor; test: the reference set; floorCount: how many digits are scored.
    public init(classifier: MNISTClassifier, test: MNIST, train: MNIST, floorCount: Int, seed: UInt64 = 0) {
        self.classifier = classifier
        let all = Array(0..<test.count)
        realFeatures = classifier.featureMatrix(test.batch(all, range: .minusOneToOne).images)
        realLabels = test.labels(indices: all)
        var shuffled = BatchSampler(count: train.count, batchSize: max(1, min(floorCount, train.count)), shuffle: true, seed: seed)
        let chosen = shuffled.nextEpoch()[0]
        self.floorCount = chosen.count
        floor = FrechetDistance.distance(classifier.featureMatrix(train.batch(chosen, range: .minusOneToOne).images), realFeatures)
    }
}

/// How good generated digits are: does the classifier read the class that was asked for, and how close is
/// the distribution of their features to real test digits (FID on the classifier's features)?
/// Explained in Chapters/04-Conditional.md.
public struct EvaluationReport: Codable, Sendable {
    public var samples: Int
    public var guidance: Float
    public var sampler: String
    public var steps: Int
    public var accuracy: Double
    public var accuracyPerClass: [Double]
    public var fid: Double
    public var fidPerClass: [Double]
    /// FID of as many real training digits, in the same features (`ScoringReference.floor`).
    public var fidFloor: Double
    public var seconds: Double

    /// fid / fidFloor: 1 is as close to the test set as real digits get.
    public var fidRatio: Double { fid / fidFloor }

    /// Scores `images` (`[N, 1, 28, 28]` in [-1, 1]) generated for `labels` against the reference's test set.
    public static func score(images: Tensor, labels: [Int], reference: ScoringReference,
                             guidance: Float, sampler: String, steps: Int, seconds: Double) -> EvaluationReport {
        let predicted = reference.classifier.predict(images)
        let classes = 10
        var hits = [Int](repeating: 0, count: classes), totals = [Int](repeating: 0, count: classes)
        for (p, l) in zip(predicted, labels) { totals[l] += 1; if p == l { hits[l] += 1 } }
        let fakeFeatures = reference.classifier.featureMatrix(images)
        func rows(_ features: Tensor, _ which: [Int]) -> Tensor {
            Tensor.concat(which.map { features.narrow(axis: 0, start: $0, length: 1) }, axis: 0)
        }
        let real = reference.realLabels
        let perClassFID: [Double] = (0..<classes).map { c in
            let fake = labels.indices.filter { labels[$0] == c }
            guard fake.count >= 2 else { return .nan }
            return FrechetDistance.distance(rows(fakeFeatures, fake), rows(reference.realFeatures, real.indices.filter { real[$0] == c }))
        }
        return EvaluationReport(samples: labels.count, guidance: guidance, sampler: sampler, steps: steps,
                                accuracy: Double(hits.reduce(0, +)) / Double(max(labels.count, 1)),
                                accuracyPerClass: (0..<classes).map { totals[$0] == 0 ? .nan : Double(hits[$0]) / Double(totals[$0]) },
                                fid: FrechetDistance.distance(fakeFeatures, reference.realFeatures), fidPerClass: perClassFID,
                                fidFloor: reference.floor, seconds: seconds)
    }

    /// A Markdown table: overall and per class, and the floor.
    public var table: String {
        var lines = ["| class | accuracy | FID |", "|---|---|---|"]
        for c in 0..<accuracyPerClass.count {
            lines.append(String(format: "| %d | %.1f%% | %.2f |", c, 100 * accuracyPerClass[c], fidPerClass[c]))
        }
        lines.append(String(format: "| all | %.2f%% | %.2f |", 100 * accuracy, fid))
        lines.append(String(format: "\nFID %.2f = %.2fx the real-vs-real floor %.2f (%d real training digits vs the test set)",
                            fid, fidRatio, fidFloor, samples))
        return lines.joined(separator: "\n")
    }

    public func json() throws -> Data { try Self.jsonEncoder().encode(self) }

    /// The encoder of score files: sorted, indented, and a diverged run's NaN or infinite FID written as a string.
    public static func jsonEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }
}
