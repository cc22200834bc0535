import Foundation

/// Elementwise functions, each with its derivative beside it.
extension Tensor {
    // d exp(x) = exp(x) dx
    public func exp() -> Tensor {
        let out = unaryMap(self) { Foundation.exp($0) }
        let y = out.detached
        return Tensor.record("exp", inputs: [self], output: out) { g in [broadcastBinary(g, y, MulOp.self)] }
    }

    // d log(x) = dx / x
    public func log() -> Tensor {
        let out = unaryMap(self) { Foundation.log($0) }
        let x = detached
        return Tensor.record("log", inputs: [self], output: out) { g in [broadcastBinary(g, x, DivOp.self)] }
    }

    // d sqrt(x) = dx / (2 sqrt(x))
    public func sqrt() -> Tensor {
        let out = unaryMap(self) { $0.squareRoot() }
        let y = out.detached
        return Tensor.record("sqrt", inputs: [self], output: out) { g in [broadcastBinary(g, y) { $0 / (2 * $1) }] }
    }

    // d |x| = sign(x) dx
    public func abs() -> Tensor {
        let out = unaryMap(self) { Swift.abs($0) }
        let x = detached
        return Tensor.record("abs", inputs: [self], output: out) { g in
            [broadcastBinary(g, x) { g, x in x > 0 ? g : (x < 0 ? -g : 0) }]
        }
    }

    // d x^2 = 2 x dx
    public func squared() -> Tensor {
        let out = unaryMap(self) { $0 * $0 }
        let x = detached
        return Tensor.record("square", inputs: [self], output: out) { g in [broadcastBinary(g, x) { $0 * 2 * $1 }] }
    }

    // d x^p = p x^(p-1) dx
    public func pow(_ p: Float) -> Tensor {
        let out = unaryMap(self) { Foundation.pow($0, p) }
        let x = detached
        return Tensor.record("pow", inputs: [self], output: out) { g in
            [broadcastBinary(g, x) { $0 * p * Foundation.pow($1, p - 1) }]
        }
    }

    /// Clamps to `[low, high]`; the gradient passes only where the input was inside.
    public func clamped(_ low: Float, _ high: Float) -> Tensor {
        let out = unaryMap(self) { Swift.min(Swift.max($0, low), high) }
        let x = detached
        return Tensor.record("clamp", inputs: [self], output: out) { g in
            [broadcastBinary(g, x) { ($1 >= low && $1 <= high) ? $0 : 0 }]
        }
    }
}
