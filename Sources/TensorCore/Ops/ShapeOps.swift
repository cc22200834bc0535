/// Ops that move elements around without arithmetic: reshape, permute, concatenate, slice, gather.
extension Tensor {
    /// Same elements, new shape (one axis may be -1 and is inferred). Shares storage: no copy.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var newShape = newShape
        if let i = newShape.firstIndex(of: -1) {
            let known = newShape.enumerated().filter { $0.offset != i }.map(\.element).reduce(1, *)
            precondition(known > 0 && count % known == 0, "reshape: cannot infer -1 in \(newShape) for \(count) elements")
            newShape[i] = count / known
        }
        precondition(elementCount(newShape) == count, "reshape: \(shape) (\(count) elements) cannot become \(newShape)")
        let oldShape = shape
        return Tensor.record("reshape", inputs: [self], output: reshapedRaw(newShape)) { g in [g.reshapedRaw(oldShape)] }
    }

    /// Reorders axes: output axis i is input axis `order[i]`. `[N, C, H, W].permuted([0, 2, 3, 1])` is NHWC.
    public func permuted(_ order: [Int]) -> Tensor {
        precondition(order.sorted() == Array(0..<rank), "permute: \(order) is not a permutation of 0..<\(rank)")
        let out = permuteRaw(order)
        var inverse = [Int](repeating: 0, count: rank)
        for (i, o) in order.enumerated() { inverse[o] = i }
        return Tensor.record("permute", inputs: [self], output: out) { g in [g.permuteRaw(inverse)] }
    }

    func permuteRaw(_ order: [Int]) -> Tensor {
        let newShape = order.map { shape[$0] }
        let inStrides = rowMajorStrides(shape)
        let loop = StridedLoop(shape: newShape, strides: [rowMajorStrides(newShape), order.map { inStrides[$0] }])
        let src = storage.pointer
        return Tensor(shape: newShape) { out in
            let dst = out.baseAddress!
            loop.forEachRunInParallel { oo, oi, _, n, so, si, _ in
                for j in 0..<n { dst[oo + j * so] = src[oi + j * si] }
            }
        }
    }

    /// Swaps two axes.
    public func transposed(_ a: Int = -2, _ b: Int = -1) -> Tensor {
        var order = Array(0..<rank)
        order.swapAt(normalizeAxis(a, rank: rank), normalizeAxis(b, rank: rank))
        return permuted(order)
    }

    /// Concatenates along `axis` (e.g. channels, axis 1 of `[N, C, H, W]`, for U-Net skip connections).
    public static func concat(_ tensors: [Tensor], axis: Int) -> Tensor {
        precondition(!tensors.isEmpty, "concat: no tensors")
        let rank = tensors[0].rank
        let axis = normalizeAxis(axis, rank: rank)
        for t in tensors {
            precondition(t.rank == rank && (0..<rank).allSatisfy { $0 == axis || t.shape[$0] == tensors[0].shape[$0] },
                         "concat: shapes \(tensors.map(\.shape)) differ outside axis \(axis)")
        }
        let outer = tensors[0].shape[..<axis].reduce(1, *)
        let inners = tensors.map { $0.shape[axis...].reduce(1, *) }
        let total = inners.reduce(0, +)
        var shape = tensors[0].shape
        shape[axis] = tensors.map { $0.shape[axis] }.reduce(0, +)
        let sources = tensors.map { UnsafePointer($0.storage.pointer) }
        let out = Tensor(shape: shape) { out in
            let dst = out.baseAddress!
            // Each outer index o (e.g. a sample) is one output block: split them over the cores.
            Parallel.forEachChunk(outer, grain: Swift.max(1, 32_768 / Swift.max(total, 1))) { range in
                for o in range {
                    var offset = 0
                    for (src, inner) in zip(sources, inners) {
                        (dst + o * total + offset).update(from: src + o * inner, count: inner)
                        offset += inner
                    }
                }
            }
        }
        let sizes = tensors.map { $0.shape[axis] }
        let needsGrad = tensors.map(\.requiresGrad)   // not the tensors: their storage need not live until backward
        return record("concat", inputs: tensors, output: out) { g in
            var start = 0
            return zip(needsGrad, sizes).map { needed, size in
                defer { start += size }
                return needed ? g.narrowRaw(axis: axis, start: start, length: size) : nil
            }
        }
    }

    /// Elements `start ..< start + length` along `axis` (a copy), e.g. a batch slice along axis 0.
    public func narrow(axis: Int, start: Int, length: Int) -> Tensor {
        let axis = normalizeAxis(axis, rank: rank)
        precondition(start >= 0 && length >= 0 && start + length <= shape[axis], "narrow: \(start)..<\(start + length) out of range for axis \(axis) of \(shape)")
        let out = narrowRaw(axis: axis, start: start, length: length)
        let inputShape = shape
        return Tensor.record("narrow", inputs: [self], output: out) { g in
            // The gradient is g placed back at its position, zeros elsewhere.
            let full = Tensor.zeros(inputShape)
            let outer = inputShape[..<axis].reduce(1, *)
            let inner = inputShape[(axis + 1)...].reduce(1, *)
            let src = g.storage.pointer, dst = full.storage.pointer
            for o in 0..<outer {
                (dst + (o * inputShape[axis] + start) * inner).update(from: src + o * length * inner, count: length * inner)
            }
            return [full]
        }
    }

    func narrowRaw(axis: Int, start: Int, length: Int) -> Tensor {
        var newShape = shape
        newShape[axis] = length
        let outer = shape[..<axis].reduce(1, *)
        let inner = shape[(axis + 1)...].reduce(1, *)
        let src = storage.pointer, size = shape[axis]
        return Tensor(shape: newShape) { out in
            let dst = out.baseAddress!
            Parallel.forEachChunk(outer, grain: Swift.max(1, 32_768 / Swift.max(length * inner, 1))) { range in
                for o in range {
                    (dst + o * length * inner).update(from: src + (o * size + start) * inner, count: length * inner)
                }
            }
        }
    }

    /// Rows of a table: `table` is `[V, D]`, the result `[indices.count, D]`. The embedding lookup.
    /// Its gradient adds each output row's gradient into the row it came from.
    public static func gather(_ table: Tensor, rows indices: [Int]) -> Tensor {
        precondition(table.rank == 2, "gather: table must be [V, D], got \(table.shape)")
        let (v, d) = (table.shape[0], table.shape[1])
        for i in indices { precondition(i >= 0 && i < v, "gather: index \(i) out of range 0..<\(v)") }
        let src = table.storage.pointer
        let out = Tensor(shape: [indices.count, d]) { out in
            for (r, i) in indices.enumerated() { (out.baseAddress! + r * d).update(from: src + i * d, count: d) }
        }
        return record("gather", inputs: [table], output: out) { g in
            let grad = Tensor.zeros([v, d])
            let gp = g.storage.pointer, dp = grad.storage.pointer
            for (r, i) in indices.enumerated() { for j in 0..<d { dp[i * d + j] += gp[r * d + j] } }
            return [grad]
        }
    }
}
