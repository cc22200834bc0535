/// Sums and means, over all elements or over chosen axes.
extension Tensor {
    /// Broadcasts to `target` by repeating along size-1 (or missing) axes. Not recorded.
    func expanded(to target: [Int]) -> Tensor {
        if shape == target { return self }
        let loop = StridedLoop(shape: target, strides: [rowMajorStrides(target), broadcastStrides(shape, to: target)])
        let src = storage.pointer
        return Tensor(shape: target) { out in
            let dst = out.baseAddress!
            loop.forEachRunInParallel { oo, oi, _, n, so, si, _ in
                for j in 0..<n { dst[oo + j * so] = src[oi + j * si] }
            }
        }
    }

    // y = sum_i x_i;  dy/dx_i = 1, so the gradient is g repeated over every element.
    public func sum() -> Tensor {
        var acc: Double = 0
        let p = storage.pointer
        for i in 0..<count { acc += Double(p[i]) }
        let shape = self.shape
        return Tensor.record("sum", inputs: [self], output: Tensor(Float(acc))) { g in
            [Tensor.full(shape, g.item)]
        }
    }

    public func mean() -> Tensor { sum() * (1 / Float(count)) }

    /// Sum over `axes` (negative axes count from the end). `keepDims` keeps them as size 1.
    public func sum(axes: [Int], keepDims: Bool = false) -> Tensor {
        let axes = Set(axes.map { normalizeAxis($0, rank: rank) })
        let kept = shape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
        let out = sumToShape(kept)
        let result = keepDims ? out : out.reshapedRaw(shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element))
        let inputShape = shape
        return Tensor.record("sumAxes", inputs: [self], output: result) { g in
            [g.reshapedRaw(kept).expanded(to: inputShape)]
        }
    }

    public func mean(axes: [Int], keepDims: Bool = false) -> Tensor {
        let n = axes.map { shape[normalizeAxis($0, rank: rank)] }.reduce(1, *)
        return sum(axes: axes, keepDims: keepDims) * (1 / Float(n))
    }

    /// The same storage under another shape. Not recorded (see `reshaped` for the recorded op).
    func reshapedRaw(_ newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, storage: storage, node: nil)
    }

    /// The largest element's index along the last axis, per row (e.g. the predicted class of logits [N, K]).
    public func argmaxLastAxis() -> [Int] {
        let k = shape.last ?? 1, rows = count / Swift.max(k, 1)
        let p = storage.pointer
        return (0..<rows).map { r in
            var best = 0
            for j in 1..<Swift.max(k, 1) where p[r * k + j] > p[r * k + best] { best = j }
            return best
        }
    }
}
