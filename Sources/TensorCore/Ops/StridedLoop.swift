/// The loop behind broadcasting ops and reductions: walks a shape in row-major order with up to three
/// operands, each with its own strides (a stride of 0 repeats an element along that axis, which is what
/// broadcasting means). Adjacent axes that are contiguous for every operand are merged first, so
/// `[N, C, H, W] + [1, C, 1, 1]` becomes a loop over `[N, C, H*W]` with a long inner run.
struct StridedLoop {
    let shape: [Int]
    let strides: [[Int]]  // one array per operand, same rank as shape

    init(shape: [Int], strides: [[Int]]) {
        // Drop size-1 axes, then merge axis i into i+1 when every operand steps contiguously across them.
        var dims: [Int] = []
        var st: [[Int]] = Array(repeating: [], count: strides.count)
        for axis in 0..<shape.count where shape[axis] != 1 {
            if let last = dims.last,
               (0..<strides.count).allSatisfy({ st[$0].last! == strides[$0][axis] * shape[axis] }) {
                dims[dims.count - 1] = last * shape[axis]
                for o in 0..<strides.count { st[o][st[o].count - 1] = strides[o][axis] }
            } else {
                dims.append(shape[axis])
                for o in 0..<strides.count { st[o].append(strides[o][axis]) }
            }
        }
        if dims.isEmpty {
            dims = [1]
            for o in 0..<strides.count { st[o] = [0] }
        }
        self.shape = dims
        self.strides = st
    }

    /// Number of runs of the last axis (the product of the outer axes).
    var runCount: Int { shape.dropLast().reduce(1, *) }
    /// Elements per run.
    var runLength: Int { shape[shape.count - 1] }

    /// Calls `inner(offset0, offset1, offset2, n, stride0, stride1, stride2)` once per run of the last axis.
    @inline(__always)
    func forEachRun(_ inner: (Int, Int, Int, Int, Int, Int, Int) -> Void) {
        forEachRun(runs: 0..<runCount, inner)
    }

    /// The same for the runs `runs` only (a chunk of the work, for `Parallel.forEachChunk`).
    @inline(__always)
    func forEachRun(runs: Range<Int>, _ inner: (Int, Int, Int, Int, Int, Int, Int) -> Void) {
        let rank = shape.count
        let n = shape[rank - 1]
        let s0 = strides[0][rank - 1]
        let s1 = strides.count > 1 ? strides[1][rank - 1] : 0
        let s2 = strides.count > 2 ? strides[2][rank - 1] : 0
        // The multi-index of the first run, and its offsets.
        var index = [Int](repeating: 0, count: max(rank - 1, 0))
        var o0 = 0, o1 = 0, o2 = 0
        var rest = runs.lowerBound
        for axis in stride(from: rank - 2, through: 0, by: -1) {
            index[axis] = rest % shape[axis]
            rest /= shape[axis]
            o0 += index[axis] * strides[0][axis]
            if strides.count > 1 { o1 += index[axis] * strides[1][axis] }
            if strides.count > 2 { o2 += index[axis] * strides[2][axis] }
        }
        for _ in runs {
            inner(o0, o1, o2, n, s0, s1, s2)
            // Increment the multi-index over the outer axes, updating offsets incrementally.
            var axis = rank - 2
            while axis >= 0 {
                index[axis] += 1
                o0 += strides[0][axis]
                if strides.count > 1 { o1 += strides[1][axis] }
                if strides.count > 2 { o2 += strides[2][axis] }
                if index[axis] < shape[axis] { break }
                o0 -= strides[0][axis] * shape[axis]
                if strides.count > 1 { o1 -= strides[1][axis] * shape[axis] }
                if strides.count > 2 { o2 -= strides[2][axis] * shape[axis] }
                index[axis] = 0
                axis -= 1
            }
        }
    }

    /// `forEachRun` split over the cores by runs (when there is enough work). Only for loops whose runs write
    /// distinct outputs.
    @inline(__always)
    func forEachRunInParallel(_ inner: (Int, Int, Int, Int, Int, Int, Int) -> Void) {
        let runs = runCount
        Parallel.forEachChunk(runs, grain: max(1, 32_768 / max(runLength, 1))) { chunk in
            forEachRun(runs: chunk, inner)
        }
    }
}

/// Strides of `shape` (right-aligned) when read as `target` under broadcasting: 0 on broadcast axes.
func broadcastStrides(_ shape: [Int], to target: [Int]) -> [Int] {
    let own = rowMajorStrides(shape)
    let offset = target.count - shape.count
    precondition(offset >= 0, "broadcast: cannot broadcast \(shape) to \(target)")
    return (0..<target.count).map { axis in
        guard axis >= offset else { return 0 }
        let size = shape[axis - offset]
        precondition(size == target[axis] || size == 1, "broadcast: cannot broadcast \(shape) to \(target)")
        return size == 1 ? 0 : own[axis - offset]
    }
}

extension Tensor {
    /// Sums `self` down to `target` (the inverse of broadcasting `target` up to `self.shape`): the gradient
    /// rule shared by every broadcasting op. Not recorded.
    func sumToShape(_ target: [Int]) -> Tensor {
        if shape == target { return self }
        let out = Tensor.zeros(target)
        let loop = StridedLoop(shape: shape, strides: [rowMajorStrides(shape), broadcastStrides(target, to: shape)])
        let src = storage.pointer, dst = out.storage.pointer
        let rank = loop.shape.count
        let innerOutStride = loop.strides[1][rank - 1]
        if (0..<(rank - 1)).allSatisfy({ loop.strides[1][$0] != 0 }) {
            // Every run adds into its own outputs (e.g. [N, C, H, W] -> [N, C, 1, 1]): split the runs over the cores.
            loop.forEachRunInParallel { oi, oo, _, n, si, so, _ in
                Tensor.addRun(src + oi, si, dst + oo, so, n)
            }
        } else if innerOutStride == 1 && loop.runLength >= 64 {
            // Runs share outputs (e.g. [M, C] -> [C]): split the columns instead; each output still sums its
            // inputs in run order, so the result does not depend on the split.
            Parallel.forEachChunk(loop.runLength, grain: max(16, 32_768 / max(loop.runCount, 1))) { cols in
                loop.forEachRun { oi, oo, _, _, si, _, _ in
                    for j in cols { dst[oo + j] += src[oi + j * si] }
                }
            }
        } else {
            loop.forEachRun { oi, oo, _, n, si, so, _ in Tensor.addRun(src + oi, si, dst + oo, so, n) }
        }
        return out
    }

    /// dst[j * so] += src[j * si] for j < n, or (so == 0) dst[0] += the sum of the run.
    @inline(__always)
    static func addRun(_ src: UnsafePointer<Float>, _ si: Int, _ dst: UnsafeMutablePointer<Float>, _ so: Int, _ n: Int) {
        if so == 0 {
            var acc: Float = 0
            for j in 0..<n { acc += src[j * si] }
            dst[0] += acc
        } else {
            for j in 0..<n { dst[j * so] += src[j * si] }
        }
    }
}
