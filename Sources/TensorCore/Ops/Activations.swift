import Foundation

/// Activation functions. Each forward formula sits beside its derivative.
extension Tensor {
    // relu(x) = max(x, 0);  relu'(x) = 1[x > 0]
    public func relu() -> Tensor {
        let out = unaryMap(self) { Swift.max($0, 0) }
        let x = detached
        return Tensor.record("relu", inputs: [self], output: out) { g in [broadcastBinary(g, x) { $1 > 0 ? $0 : 0 }] }
    }

    // silu(x) = x * sigmoid(x);  silu'(x) = s + x s (1 - s) = s (1 + x (1 - s)) with s = sigmoid(x)
    // (16 lanes at a time with VectorMath's exp, split over the cores.)
    public func silu() -> Tensor {
        let out = vectorMap(self) { VectorMath.silu($0) }
        let x = detached
        return Tensor.record("silu", inputs: [self], output: out) { g in
            [vectorMap(g, x) { g, x in g * VectorMath.siluDerivative(x) }]
        }
    }

    // sigmoid(x) = 1 / (1 + e^-x);  sigmoid' = s (1 - s)
    public func sigmoid() -> Tensor {
        let out = unaryMap(self) { 1 / (1 + Foundation.exp(-$0)) }
        let y = out.detached
        return Tensor.record("sigmoid", inputs: [self], output: out) { g in [broadcastBinary(g, y) { $0 * $1 * (1 - $1) }] }
    }

    // gelu(x) = x Phi(x) = x (1 + erf(x / sqrt 2)) / 2  (exact form, PyTorch's default)
    // gelu'(x) = Phi(x) + x phi(x),  phi(x) = exp(-x^2 / 2) / sqrt(2 pi)
    public func gelu() -> Tensor {
        let out = unaryMap(self) { 0.5 * $0 * (1 + erff($0 * 0.70710678)) }
        let x = detached
        return Tensor.record("gelu", inputs: [self], output: out) { g in
            [broadcastBinary(g, x) { g, x in
                let cdf = 0.5 * (1 + erff(x * 0.70710678))
                let pdf = Foundation.exp(-0.5 * x * x) * 0.39894228
                return g * (cdf + x * pdf)
            }]
        }
    }

    // tanh'(x) = 1 - tanh(x)^2
    public func tanh() -> Tensor {
        let out = unaryMap(self) { Foundation.tanh($0) }
        let y = out.detached
        return Tensor.record("tanh", inputs: [self], output: out) { g in [broadcastBinary(g, y) { $0 * (1 - $1 * $1) }] }
    }
}
