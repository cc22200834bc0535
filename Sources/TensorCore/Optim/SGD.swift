/// Stochastic gradient descent with optional momentum:
///   v <- mu v + g;   theta <- theta - lr v
public final class SGD: Optimizer {
    public let parameters: [Parameter]
    public var learningRate: Float
    public let momentum: Float
    public private(set) var stepCount = 0
    private var velocity: [Tensor]

    public init(_ parameters: [Parameter], learningRate: Float, momentum: Float = 0) {
        self.parameters = parameters
        self.learningRate = learningRate
        self.momentum = momentum
        velocity = parameters.map { .zeros($0.shape) }
    }

    public func step() {
        stepCount += 1
        let (lr, mu) = (learningRate, momentum)
        for (p, v) in zip(parameters, velocity) {
            p.update { theta, grad in
                guard let grad else { return }
                let vp = v.storage.pointer
                for i in 0..<theta.count {
                    vp[i] = mu * vp[i] + grad[i]
                    theta[i] -= lr * vp[i]
                }
            }
        }
    }

    public func stateTensors() -> [(String, Tensor)] {
        [("step", Tensor(Float(stepCount)))] + velocity.enumerated().map { ("velocity.\($0.offset)", $0.element) }
    }

    public func loadState(_ tensors: [String: Tensor]) throws {
        stepCount = Int(try stateTensor(tensors, "step", shape: []).item)
        for i in velocity.indices {
            velocity[i] = try stateTensor(tensors, "velocity.\(i)", shape: parameters[i].shape).copy()
        }
    }
}
