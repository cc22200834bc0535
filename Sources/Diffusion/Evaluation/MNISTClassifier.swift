import TensorCore

/// A small CNN that reads digits, used to score generated ones (class accuracy) and as the feature
/// extractor for FID. It is trained on MNIST's training set only and checked on the test set.
///
///     [N, 1, 28, 28] -> conv 3x3 (32) ReLU -> max-pool -> [N, 32, 14, 14]
///                    -> conv 3x3 (64) ReLU -> max-pool -> [N, 64, 7, 7]
///                    -> flatten [N, 3136] -> linear (128) ReLU = features -> dropout -> linear (10) = logits
/// Explained in Chapters/04-Conditional.md.
public final class MNISTClassifier: Module {
    public let conv1: Conv2d
    public let conv2: Conv2d
    public let fc1: Linear
    public let dropout: Dropout
    public let fc2: Linear
    public var isTraining = true

    public static let featureCount = 128

    public init(random: RandomSource?, rng: inout SeededGenerator) {
        conv1 = Conv2d(1, 32, kernelSize: 3, padding: 1, rng: &rng)
        conv2 = Conv2d(32, 64, kernelSize: 3, padding: 1, rng: &rng)
        fc1 = Linear(64 * 7 * 7, Self.featureCount, rng: &rng)
        dropout = Dropout(0.3, random: random)
        fc2 = Linear(Self.featureCount, 10, rng: &rng)
    }

    public var children: [(String, any Module)] {
        [("conv1", conv1), ("conv2", conv2), ("fc1", fc1), ("dropout", dropout), ("fc2", fc2)]
    }

    /// The penultimate features `[N, 128]` of images `[N, 1, 28, 28]` in [-1, 1].
    public func features(_ x: Tensor) -> Tensor {
        let h = conv2(conv1(x).relu().maxPool2d(2)).relu().maxPool2d(2)   // [N, 64, 7, 7]
        return fc1(h.reshaped([x.shape[0], -1])).relu()                   // [N, 128]
    }

    /// Class logits `[N, 10]`.
    public func callAsFunction(_ x: Tensor) -> Tensor { fc2(dropout(features(x))) }

    /// Predicted classes, in batches, with no graph.
    public func predict(_ x: Tensor, batch: Int = 500) -> [Int] {
        eval()
        return withoutGrad {
            stride(from: 0, to: x.shape[0], by: batch).flatMap { start in
                self(x.narrow(axis: 0, start: start, length: min(batch, x.shape[0] - start))).argmaxLastAxis()
            }
        }
    }

    /// Features of every image, in batches, with no graph: `[N, 128]`.
    public func featureMatrix(_ x: Tensor, batch: Int = 500) -> Tensor {
        eval()
        return withoutGrad {
            Tensor.concat(stride(from: 0, to: x.shape[0], by: batch).map { start in
                features(x.narrow(axis: 0, start: start, length: min(batch, x.shape[0] - start)))
            }, axis: 0)
        }
    }
}
