import Foundation
import TensorCore

extension MNISTClassifier {
    /// Trains on MNIST's training set (cross-entropy, Adam with cosine decay) and returns the test accuracy.
    public func fit(train: MNIST, test: MNIST, epochs: Int = 4, batchSize: Int = 128, learningRate: Float = 2e-3,
                    seed: UInt64, limit: Int? = nil) throws -> Double {
        let count = min(limit ?? train.count, train.count)
        let session = TrainingSession(model: self, optimizer: Adam(parameters, learningRate: learningRate),
                                      schedule: LearningRateSchedule(.cosine, base: learningRate, totalSteps: epochs * (count / batchSize),
                                                                     warmupSteps: 50),
                                      ema: nil, rng: SeededGenerator(seed: seed), dropout: RandomSource(seed: seed))
        _ = try runEpochs(data: train, batchSize: batchSize, budget: TrainingBudget(epochs: epochs, limit: limit), seed: seed,
                          range: .minusOneToOne, label: "classifier") { images, labels in
            try session.train { classifier, _ in Tensor.crossEntropy(classifier(images), labels: labels) }
        }
        return accuracy(on: test)
    }

    /// The share of `data` classified correctly.
    public func accuracy(on data: MNIST) -> Double {
        let (images, labels) = data.batch(Array(0..<data.count), range: .minusOneToOne)
        let predicted = predict(images)
        return Double(zip(predicted, labels).filter { $0 == $1 }.count) / Double(data.count)
    }
}
