// im2col / col2im: turning a convolution into a matrix multiply.
//
// For one sample, the "column matrix" has one row per weight position (c, kh, kw) and one column per output
// pixel (oh, ow):
//
//     col[(c * KH + kh) * KW + kw, oh * OW + ow] = input[c, oh * s - p + kh, ow * s - p + kw]   (0 outside)
//
// so that the convolution is the product   out[Cout, OH*OW] = weight[Cout, Cin*KH*KW] x col[Cin*KH*KW, OH*OW].
//
// Each row of `col` is the input plane of channel c shifted by (kh - p, kw - p) and subsampled by the stride:
// for stride 1 it is made of contiguous copies of input rows plus zeros at the borders, which is why the copy
// loops below work row by row rather than element by element.
//
// col2im is the adjoint (transpose) of im2col: it scatters-and-adds every entry of a column matrix back to the
// input position it was read from. It turns dcol = weight^T x dout into the input gradient.
//
// The two general paths at the end of this file are built on them: the input gradient as
// dcol_n[K, P] = W^T x dout_n[Cout, P] followed by col2im (`col2imInputGradient`), and the weight gradient as
// dW^T[K, Cout] += col_n[K, P] x dout_n^T with the column matrix written out (`im2colWeightGradient`).

extension Conv2DKernels {
    /// For output column `ow`, the input column is ow * s - p + kw. Returns the range of ow for which it lies
    /// inside [0, W): the columns that copy data; the others are padding zeros.
    @inline(__always)
    static func validOutputRange(offset: Int, stride s: Int, inSize: Int, outSize: Int) -> Range<Int> {
        // need 0 <= ow * s + offset <= inSize - 1
        let lo = offset >= 0 ? 0 : (-offset + s - 1) / s
        let hiInclusive = inSize - 1 - offset
        let hi = hiInclusive < 0 ? 0 : min(outSize, hiInclusive / s + 1)
        return lo..<max(lo, hi)
    }

    /// Writes the column matrix of one sample.
    /// - input: [Cin, H, W] (one sample)
    /// - col:   [Cin * KH * KW, OH * OW] with row stride `ldCol` >= OH * OW (several samples can share one
    ///          wide column matrix side by side, each starting at its own column offset)
    static func im2col(_ g: Conv2DGeometry, input: UnsafePointer<Float>, col: UnsafeMutablePointer<Float>, ldCol: Int) {
        let (h, w, oh, ow, s, p) = (g.height, g.width, g.outHeight, g.outWidth, g.stride, g.padding)
        for c in 0..<g.inChannels {
            let plane = input + c * h * w
            for kh in 0..<g.kernelHeight {
                for kw in 0..<g.kernelWidth {
                    let row = col + ((c * g.kernelHeight + kh) * g.kernelWidth + kw) * ldCol
                    let cols = validOutputRange(offset: kw - p, stride: s, inSize: w, outSize: ow)
                    for y in 0..<oh {
                        let out = row + y * ow
                        let iy = y * s - p + kh
                        if iy < 0 || iy >= h {
                            out.update(repeating: 0, count: ow)
                            continue
                        }
                        let src = plane + iy * w + (kw - p)  // src[x * s] is input column x * s - p + kw
                        if cols.lowerBound > 0 { out.update(repeating: 0, count: cols.lowerBound) }
                        if s == 1 {
                            (out + cols.lowerBound).update(from: src + cols.lowerBound, count: cols.count)
                        } else {
                            for x in cols { out[x] = src[x * s] }
                        }
                        if cols.upperBound < ow {
                            (out + cols.upperBound).update(repeating: 0, count: ow - cols.upperBound)
                        }
                    }
                }
            }
        }
    }

    /// Sums the column matrix of one sample back into input positions (the adjoint of `im2col`).
    /// - col:       [Cin * KH * KW, OH * OW] with row stride `ldCol`
    /// - gradInput: [Cin, H, W] (one sample), overwritten
    static func col2im(_ g: Conv2DGeometry, col: UnsafePointer<Float>, ldCol: Int, gradInput: UnsafeMutablePointer<Float>) {
        let (h, w, oh, ow, s, p) = (g.height, g.width, g.outHeight, g.outWidth, g.stride, g.padding)
        gradInput.update(repeating: 0, count: g.inChannels * h * w)
        for c in 0..<g.inChannels {
            // All KH*KW rows of channel c land on the same [H, W] plane, which stays in L1 meanwhile.
            let plane = gradInput + c * h * w
            for kh in 0..<g.kernelHeight {
                for kw in 0..<g.kernelWidth {
                    let row = col + ((c * g.kernelHeight + kh) * g.kernelWidth + kw) * ldCol
                    let cols = validOutputRange(offset: kw - p, stride: s, inSize: w, outSize: ow)
                    let rows = validOutputRange(offset: kh - p, stride: s, inSize: h, outSize: oh)
                    for y in rows {
                        let dst = plane + (y * s - p + kh) * w + (kw - p)
                        let src = row + y * ow
                        if s == 1 {
                            addRow(dst + cols.lowerBound, src + cols.lowerBound, count: cols.count)
                        } else {
                            for x in cols { dst[x * s] += src[x] }
                        }
                    }
                }
            }
        }
    }

    /// dst[0..<count] += src[0..<count], 16 lanes at a time.
    @inline(__always)
    static func addRow(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, count: Int) {
        var i = 0
        while i + 16 <= count {
            GEMM.store(GEMM.load(dst + i) + GEMM.load(src + i), dst + i)
            i += 16
        }
        while i < count {
            dst[i] += src[i]
            i += 1
        }
    }
}

// MARK: - The two paths that write the column matrix out

extension Conv2DKernels {
    /// The col2im path: gradInput[N, Cin, H, W] (overwritten) = col2im(W^T x gradOutput[n]) for any geometry.
    static func col2imInputGradient(_ g: Conv2DGeometry, gradOutput: UnsafePointer<Float>,
                                    weight: UnsafePointer<Float>, gradInput: UnsafeMutablePointer<Float>) {
        let (cout, kk, p) = (g.outChannels, g.patchSize, g.outPlane)
        let packedWT = GEMM.PackedA(trans: true, a: weight, lda: kk, m: kk, k: cout)
        let ptr = Pointers(a: gradOutput, b: weight, c: nil, out: gradInput)
        let shared = UncheckedSendable(packedWT)
        Parallel.forEachWorker(batch: g.batch) { _, samples in
            let group = groupSize(plane: p, samples: samples.count)
            let ws = GEMM.Workspace(m: kk, k: cout)
            let dcol = Scratch(kk * group * p)
            let wide = group > 1 ? Scratch(cout * group * p) : nil
            for n0 in Swift.stride(from: samples.lowerBound, to: samples.upperBound, by: group) {
                let count = min(group, samples.upperBound - n0)
                let ld = count * p
                // B = gradOutput of the group side by side: [Cout, count * P].
                let b = count == 1 ? ptr.a + n0 * cout * p : gatherPlanes(ptr.a + n0 * cout * p, channels: cout,
                                                                          plane: p, count: count, into: wide!.p)
                GEMM.blocked(rows: 0..<kk, cols: 0..<ld, k: cout, alpha: 1, beta: 0, c: dcol.p, ldc: ld,
                             workspace: ws, packA: { i0, _, p0, kc, _ in shared.value.panels(i0: i0, p0: p0, kc: kc) },
                             packB: { GEMM.packB(trans: false, b: b, ldb: ld, p0: $0, kc: $1, j0: $2, cols: $3, dst: $4) })
                for i in 0..<count {
                    col2im(g, col: dcol.p + i * p, ldCol: ld, gradInput: ptr.out + (n0 + i) * g.inChannels * g.inPlane)
                }
            }
        }
        withExtendedLifetime(packedWT) {}
    }

    /// The im2col (and, with `inputIsColumns`, pointwise) weight gradient: gradWeight[Cout, Cin, KH, KW] and
    /// gradBias[Cout] (if non-nil) OVERWRITTEN with dW[Cout, K] = sum over n of dout_n x col_n^T. With
    /// `inputIsColumns` (1x1, stride 1, no padding only) each input sample is used as its own column matrix.
    static func im2colWeightGradient(_ g: Conv2DGeometry, input: UnsafePointer<Float>,
                                     gradOutput: UnsafePointer<Float>, gradWeight: UnsafeMutablePointer<Float>,
                                     gradBias: UnsafeMutablePointer<Float>?, inputIsColumns: Bool) {
        precondition(!inputIsColumns || g.isPointwise, "im2colWeightGradient: only a pointwise layer's input is its column matrix")
        let (cout, kk, p) = (g.outChannels, g.patchSize, g.outPlane)
        let workers = Parallel.workers(batch: g.batch)
        // Worker 0 sums straight into gradWeight/gradBias; the others into partial buffers added at the end.
        let partials = (1..<workers).map { _ in Scratch(cout * kk + cout) }
        let sums = UncheckedSendable((weight: [gradWeight] + partials.map(\.p),
                                      bias: [gradBias] + partials.map { gradBias == nil ? nil : $0.p + cout * kk }))
        let ptr = Pointers(a: input, b: gradOutput, c: nil, out: gradWeight)
        Parallel.forEachWorker(batch: g.batch) { worker, samples in
            let dW = sums.value.weight[worker]
            let dB = sums.value.bias[worker]  // nil when no bias gradient is wanted
            // The input sample itself is B^T, so samples cannot be laid side by side.
            let group = inputIsColumns ? 1 : groupSize(plane: p, samples: samples.count)
            let ws = GEMM.Workspace(m: cout, k: group * p)
            let col = inputIsColumns ? nil : Scratch(kk * group * p)
            let wide = group > 1 ? Scratch(cout * group * p) : nil
            dB?.update(repeating: 0, count: cout)
            var first = true
            for n0 in Swift.stride(from: samples.lowerBound, to: samples.upperBound, by: group) {
                let count = min(group, samples.upperBound - n0)
                let ld = count * p
                // A = gradOutput of the group side by side [Cout, count*P]; B^T = the column matrix [K, count*P].
                let a = count == 1 ? ptr.b + n0 * cout * p : gatherPlanes(ptr.b + n0 * cout * p, channels: cout,
                                                                          plane: p, count: count, into: wide!.p)
                let b: UnsafePointer<Float>
                if let col {
                    for i in 0..<count {
                        im2col(g, input: ptr.a + (n0 + i) * g.inChannels * g.inPlane, col: col.p + i * p, ldCol: ld)
                    }
                    b = UnsafePointer(col.p)
                } else {
                    b = ptr.a + n0 * g.inChannels * g.inPlane
                }
                // dW[Cout, K] (+)= A x B where B is stored transposed: the first group overwrites.
                GEMM.Problem(transA: false, transB: true, m: cout, n: kk, k: ld, alpha: 1, a: a, lda: ld, b: b,
                             ldb: ld, beta: first ? 0 : 1, c: dW, ldc: kk)
                    .compute(rows: 0..<cout, cols: 0..<kk, workspace: ws)
                first = false
                if let dB {
                    for co in 0..<cout { dB[co] += sum(a + co * ld, count: ld) }
                }
            }
        }
        for w in 1..<workers {
            addRow(gradWeight, sums.value.weight[w], count: cout * kk)
            if let gradBias { addRow(gradBias, sums.value.bias[w]!, count: cout) }
        }
        withExtendedLifetime(partials) {}  // the partial buffers must live until they are summed
    }
}
