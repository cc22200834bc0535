import Foundation
import TensorCore

/// How well a noise-aware classifier reads the test set at a few noise levels, and over all of them.
public struct NoisyAccuracy: Sendable, Codable {
    /// (t, share classified correctly) at each of the timesteps asked for.
    public var perTimestep: [Int: Double]
    /// The share classified correctly with t drawn uniformly from 0..<T (one t per test digit, seeded).
    public var uniform: Double

    /// One line per timestep, then the uniform figure.
    public var table: String {
        let rows = perTimestep.keys.sorted().map { String(format: "| %d | %.2f%% |", $0, 100 * perTimestep[$0]!) }
        return (["| t | test accuracy |", "|---|---|"] + rows + [String(format: "| uniform 0...T-1 | %.2f%% |", 100 * uniform)])
            .joined(separator: "\n")
    }
}

extension NoiseAwareClassifier {
    /// Trains on noisy training digits x_t = sqrt(alphabar_t) x_0 + sqrt(1 - alphabar_t) eps, t uniform in 0..<T,
    /// with cross-entropy on the digit's label (Adam with warmup and cosine decay), and returns the loss per epoch.
    public func fit(train: MNIST, schedule: NoiseSchedule, epochs: Int = 3, batchSize: Int = 128, learningRate: Float = 2e-3,
                    seed: UInt64, limit: Int? = nil) throws -> [EpochSummary] {
        let count = min(limit ?? train.count, train.count)
        let session = TrainingSession(model: self, optimizer: Adam(parameters, learningRate: learningRate),
                                      schedule: LearningRateSchedule(.cosine, base: learningRate, totalSteps: max(epochs * (count / batchSize), 1),
                                                                     warmupSteps: 50),
                                      ema: nil, rng: SeededGenerator(seed: seed), dropout: RandomSource(seed: seed))
        return try runEpochs(data: train, batchSize: batchSize, budget: TrainingBudget(epochs: epochs, limit: limit), seed: seed,
                             range: .minusOneToOne, label: "noisy classifier") { images, labels in
            try session.train { classifier, rng in
                let n = images.shape[0]
                let t = (0..<n).map { _ in Int(rng.next() % UInt64(schedule.steps)) }
                // x_t ~ q(x_t | x_0)
                let xt = withoutGrad { schedule.qSample(x0: images, t: t, noise: Tensor.randomNormal(images.shape, using: &rng)) }
                return Tensor.crossEntropy(classifier(xt, timesteps: t.map(Float.init)), labels: labels)
            }
        }
    }

    /// Accuracy on `data` noised to each of `timesteps`, and with one uniform random t per digit (seeded).
    public func accuracy(on data: MNIST, schedule: NoiseSchedule, timesteps: [Int], seed: UInt64 = 0) -> NoisyAccuracy {
        let (images, labels) = data.batch(Array(0..<data.count), range: .minusOneToOne)
        var rng = SeededGenerator(seed: seed)
        func score(_ t: [Int]) -> Double {
            let xt = withoutGrad { schedule.qSample(x0: images, t: t, noise: Tensor.randomNormal(images.shape, using: &rng)) }
            return Double(zip(predict(xt, timesteps: t), labels).filter { $0 == $1 }.count) / Double(max(labels.count, 1))
        }
        var per: [Int: Double] = [:]
        for t in timesteps { per[t] = score(Array(repeating: t, count: labels.count)) }
        let uniform = score((0..<labels.count).map { _ in Int(rng.next() % UInt64(schedule.steps)) })
        return NoisyAccuracy(perTimestep: per, uniform: uniform)
    }
}
