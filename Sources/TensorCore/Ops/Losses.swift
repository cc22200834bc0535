/// Loss functions, composed from primitives (their gradients come from the primitives' rules).
extension Tensor {
    /// Mean squared error: mean((prediction - target)^2).
    public static func mseLoss(_ prediction: Tensor, _ target: Tensor) -> Tensor {
        precondition(prediction.shape == target.shape, "mseLoss: shapes \(prediction.shape) and \(target.shape) differ")
        return (prediction - target).squared().mean()
    }

    /// Mean absolute error: mean(|prediction - target|).
    public static func l1Loss(_ prediction: Tensor, _ target: Tensor) -> Tensor {
        precondition(prediction.shape == target.shape, "l1Loss: shapes \(prediction.shape) and \(target.shape) differ")
        return (prediction - target).abs().mean()
    }

    /// Cross-entropy of logits `[N, K]` against class indices: -mean_n log softmax(logits_n)[label_n].
    public static func crossEntropy(_ logits: Tensor, labels: [Int]) -> Tensor {
        precondition(logits.rank == 2 && logits.shape[0] == labels.count, "crossEntropy: logits \(logits.shape) and \(labels.count) labels")
        let k = logits.shape[1]
        let oneHot = Tensor(shape: logits.shape) { out in
            out.initialize(repeating: 0)
            for (n, label) in labels.enumerated() {
                precondition(label >= 0 && label < k, "crossEntropy: label \(label) out of range 0..<\(k)")
                out[n * k + label] = 1
            }
        }
        return -(logits.logSoftmax() * oneHot).sum() / Float(labels.count)
    }
}
