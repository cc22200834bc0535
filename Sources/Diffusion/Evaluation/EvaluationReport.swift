import Foundation
import TensorCore

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
    public var seconds: Double

    /// Scores `images` (`[N, 1, 28, 28]` in [-1, 1]) generated for `labels` against the `test` set.
    public static func score(images: Tensor, labels: [Int], classifier: MNISTClassifier, test: MNIST,
                             guidance: Float, sampler: String, steps: Int, seconds: Double) -> EvaluationReport {
        let predicted = classifier.predict(images)
        let classes = 10
        var hits = [Int](repeating: 0, count: classes), totals = [Int](repeating: 0, count: classes)
        for (p, l) in zip(predicted, labels) { totals[l] += 1; if p == l { hits[l] += 1 } }
        let realImages = test.batch(Array(0..<test.count), range: .minusOneToOne).images
        let realFeatures = classifier.featureMatrix(realImages)
        let fakeFeatures = classifier.featureMatrix(images)
        let realLabels = test.labels(indices: Array(0..<test.count))
        func rows(_ features: Tensor, _ which: [Int]) -> Tensor {
            Tensor.concat(which.map { features.narrow(axis: 0, start: $0, length: 1) }, axis: 0)
        }
        let perClassFID: [Double] = (0..<classes).map { c in
            let fake = labels.indices.filter { labels[$0] == c }
            guard fake.count >= 2 else { return .nan }
            return FrechetDistance.distance(rows(fakeFeatures, fake), rows(realFeatures, realLabels.indices.filter { realLabels[$0] == c }))
        }
        return EvaluationReport(samples: labels.count, guidance: guidance, sampler: sampler, steps: steps,
                                accuracy: Double(hits.reduce(0, +)) / Double(max(labels.count, 1)),
                                accuracyPerClass: (0..<classes).map { totals[$0] == 0 ? .nan : Double(hits[$0]) / Double(totals[$0]) },
                                fid: FrechetDistance.distance(fakeFeatures, realFeatures), fidPerClass: perClassFID, seconds: seconds)
    }

    /// A Markdown table: overall and per class.
    public var table: String {
        var lines = ["| class | accuracy | FID |", "|---|---|---|"]
        for c in 0..<accuracyPerClass.count {
            lines.append(String(format: "| %d | %.1f%% | %.2f |", c, 100 * accuracyPerClass[c], fidPerClass[c]))
        }
        lines.append(String(format: "| all | %.2f%% | %.2f |", 100 * accuracy, fid))
        return lines.joined(separator: "\n")
    }

    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try encoder.encode(self)
    }
}
