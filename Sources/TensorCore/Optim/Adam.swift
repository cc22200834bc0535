import Foundation

/// Adam (Kingma & Ba 2015), and AdamW (Loshchilov & Hutter 2019) when `decoupledWeightDecay` is set:
///   m <- b1 m + (1 - b1) g
///   v <- b2 v + (1 - b2) g^2
///   theta <- theta - lr * mhat / (sqrt(vhat) + eps),  mhat = m / (1 - b1^t), vhat = v / (1 - b2^t)
/// AdamW first shrinks the weights: theta <- theta (1 - lr wd). (Plain Adam adds wd theta to g instead.)
public final class Adam: Optimizer {
    public let parameters: [Parameter]
    public var learningRate: Float
    public let beta1: Float, beta2: Float, eps: Float
    public let weightDecay: Float
    public let decoupledWeightDecay: Bool
    public private(set) var stepCount = 0
    private var m: [Tensor]
    private var v: [Tensor]

    public init(_ parameters: [Parameter], learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
                eps: Float = 1e-8, weightDecay: Float = 0, decoupledWeightDecay: Bool = false) {
        self.parameters = parameters
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.weightDecay = weightDecay
        self.decoupledWeightDecay = decoupledWeightDecay
        m = parameters.map { .zeros($0.shape) }
        v = parameters.map { .zeros($0.shape) }
    }

    public func step() {
        stepCount += 1
        let (lr, b1, b2, eps, wd) = (learningRate, beta1, beta2, eps, weightDecay)
        let correction1 = 1 - Foundation.pow(b1, Float(stepCount))
        let correction2 = 1 - Foundation.pow(b2, Float(stepCount))
        let stepSize = lr / correction1
        let decoupled = decoupledWeightDecay
        for i in parameters.indices {
            let mp = m[i].storage.pointer, vp = v[i].storage.pointer
            parameters[i].update { theta, grad in
                guard let grad else { return }
                for j in 0..<theta.count {
                    var g = grad[j]
                    if wd != 0 {
                        if decoupled { theta[j] *= 1 - lr * wd } else { g += wd * theta[j] }
                    }
                    mp[j] = b1 * mp[j] + (1 - b1) * g
                    vp[j] = b2 * vp[j] + (1 - b2) * g * g
                    theta[j] -= stepSize * mp[j] / ((vp[j] / correction2).squareRoot() + eps)
                }
            }
        }
    }

    public func stateTensors() -> [(String, Tensor)] {
        var out: [(String, Tensor)] = [("step", Tensor(Float(stepCount)))]
        for i in parameters.indices { out += [("m.\(i)", m[i]), ("v.\(i)", v[i])] }
        return out
    }

    public func loadState(_ tensors: [String: Tensor]) throws {
        stepCount = Int(try stateTensor(tensors, "step", shape: []).item)
        for i in parameters.indices {
            m[i] = try stateTensor(tensors, "m.\(i)", shape: parameters[i].shape).copy()
            v[i] = try stateTensor(tensors, "v.\(i)", shape: parameters[i].shape).copy()
        }
    }
}

/// AdamW: Adam with decoupled weight decay (default 0.01, as PyTorch).
public func AdamW(_ parameters: [Parameter], learningRate: Float = 1e-3, weightDecay: Float = 0.01) -> Adam {
    Adam(parameters, learningRate: learningRate, weightDecay: weightDecay, decoupledWeightDecay: true)
}
