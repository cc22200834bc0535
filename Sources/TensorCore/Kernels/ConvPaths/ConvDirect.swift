// Direct convolution for layers with one or two channels on the "GEMM M" side.
//
// The GEMM formulation puts output channels on the 6 rows of the micro-tile. A layer with a single output
// channel (the last layer of a UNet: 32 -> 1), or the input gradient of a layer with a single input channel
// (1 -> 32), would use one row of six, and would still pay for packing every element of the column matrix
// for one multiply-add. Here we convolve directly instead: vectors run along an output row, and each weight
// tap adds `w * (input row shifted by kw)`, read from the zero-padded image (stride 1 only):
//
//     out[m, y, x..x+15] += w[m, c, kh, kw] * padded[c, y + kh, x + kw .. x + kw + 15]
//
// The weight gradient of such a layer is the mirror image: one dot product per tap,
//
//     dW[m, c, kh, kw] = sum over y, x of dout[m, y, x] * padded[c, y + kh, x + kw].

extension Conv2DKernels {
    /// The direct path, forward-shaped (the forward pass, or the stride-1 input gradient as a convolution):
    /// output[n] = conv(input[n]) (+ bias), sample by sample from a zero-padded copy. Stride 1 only.
    /// - input: [batch, shape.channels, H, W]; weight: [m, shape.patchSize]; output: [batch, m, OH, OW]
    static func directConvolutionBatch(_ shape: PatchShape, batch: Int, outChannels m: Int,
                                       input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                       bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>) {
        let inSize = shape.channels * shape.height * shape.width, p = shape.outHeight * shape.outWidth
        let ptr = Pointers(a: input, b: weight, c: bias, out: output)
        Parallel.forEachWorker(batch: batch) { _, samples in
            let paddedCount = shape.channels * shape.paddedPlane + PatchShape.slack
            let padded = Scratch(paddedCount)
            padded.p.update(repeating: 0, count: paddedCount)
            for n in samples {
                shape.pad(ptr.a + n * inSize, count: 1, into: padded.p)
                directConvolution(shape, m: m, padded: padded.p, weight: ptr.b, bias: ptr.c, out: ptr.out + n * m * p)
            }
        }
    }

    /// out[m, OH, OW] = sum over (c, kh, kw) of weight[m, (c, kh, kw)] * padded[c, y + kh, x + kw] (+ bias[m])
    /// for one sample. padded: [C, Hp, Wp] plus slack; weight: [M, C*KH*KW] row-major.
    ///
    /// A block of 4 output rows x 32 columns is accumulated in 8 vector registers: 8 independent FMA chains
    /// hide the FMA latency, and each weight broadcast is used 8 times.
    static func directConvolution(_ shape: PatchShape, m: Int, padded: UnsafePointer<Float>,
                                  weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                                  out: UnsafeMutablePointer<Float>) {
        let (oh, ow, wp) = (shape.outHeight, shape.outWidth, shape.paddedWidth)
        let (kh, kw, kk) = (shape.kernelHeight, shape.kernelWidth, shape.patchSize)
        let zero = GEMM.Vec()
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 4 * 32) { tmp in
            let t = tmp.baseAddress!
            for co in 0..<m {
                let b = bias?[co] ?? 0
                for y0 in stride(from: 0, to: oh, by: 4) {
                    let rows = min(4, oh - y0)
                    for x0 in stride(from: 0, to: ow, by: 32) {
                        let two = ow - x0 > 16
                        var a00 = zero, a01 = zero, a10 = zero, a11 = zero
                        var a20 = zero, a21 = zero, a30 = zero, a31 = zero
                        for c in 0..<shape.channels {
                            for a in 0..<kh {
                                let r0 = padded + c * shape.paddedPlane + (y0 + a) * wp + x0
                                let w = weight + co * kk + (c * kh + a) * kw
                                for e in 0..<kw {
                                    let wv = GEMM.Vec(repeating: w[e])
                                    let r = r0 + e
                                    a00 = a00.addingProduct(wv, GEMM.load(r))
                                    if two { a01 = a01.addingProduct(wv, GEMM.load(r + 16)) }
                                    if rows > 1 {
                                        a10 = a10.addingProduct(wv, GEMM.load(r + wp))
                                        if two { a11 = a11.addingProduct(wv, GEMM.load(r + wp + 16)) }
                                    }
                                    if rows > 2 {
                                        a20 = a20.addingProduct(wv, GEMM.load(r + 2 * wp))
                                        if two { a21 = a21.addingProduct(wv, GEMM.load(r + 2 * wp + 16)) }
                                    }
                                    if rows > 3 {
                                        a30 = a30.addingProduct(wv, GEMM.load(r + 3 * wp))
                                        if two { a31 = a31.addingProduct(wv, GEMM.load(r + 3 * wp + 16)) }
                                    }
                                }
                            }
                        }
                        GEMM.store(a00, t); GEMM.store(a01, t + 16); GEMM.store(a10, t + 32); GEMM.store(a11, t + 48)
                        GEMM.store(a20, t + 64); GEMM.store(a21, t + 80); GEMM.store(a30, t + 96); GEMM.store(a31, t + 112)
                        let cols = min(32, ow - x0)
                        for r in 0..<rows {
                            let dst = out + (co * oh + y0 + r) * ow + x0
                            for x in 0..<cols { dst[x] = t[32 * r + x] + b }
                        }
                    }
                }
            }
        }
    }

    /// dW[m, (c, kh, kw)] += sum over y, x of dout[m, y, x] * padded[c, y + kh, x + kw] for one sample.
    /// - dout: [M, OH, rowStride], rows zero beyond OW (so the vector tails multiply by zero)
    /// - dW:   [M, C*KH*KW], accumulated into
    ///
    /// Up to 8 taps of one channel are summed at once, in 8 independent accumulators that share each load of
    /// dout.
    static func directWeightGradient(_ shape: PatchShape, m: Int, padded: UnsafePointer<Float>,
                                     dout: UnsafePointer<Float>, rowStride: Int, dW: UnsafeMutablePointer<Float>) {
        let (oh, wp, kh, kw) = (shape.outHeight, shape.paddedWidth, shape.kernelHeight, shape.kernelWidth)
        let taps = kh * kw
        let vectors = rowStride / 16
        withUnsafeTemporaryAllocation(of: Int.self, capacity: 8) { off in
            for co in 0..<m {
                for c in 0..<shape.channels {
                    let plane = padded + c * shape.paddedPlane
                    for t0 in stride(from: 0, to: taps, by: 8) {
                        let n = min(8, taps - t0)
                        for i in 0..<8 { let t = t0 + min(i, n - 1); off[i] = (t / kw) * wp + t % kw }
                        let (o0, o1, o2, o3, o4, o5, o6, o7) = (off[0], off[1], off[2], off[3], off[4], off[5], off[6], off[7])
                        var s0 = GEMM.Vec(), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0
                        for y in 0..<oh {
                            let d = dout + (co * oh + y) * rowStride
                            let row = plane + y * wp
                            for v in 0..<vectors {
                                let dv = GEMM.load(d + 16 * v), r = row + 16 * v
                                s0 = s0.addingProduct(dv, GEMM.load(r + o0))
                                s1 = s1.addingProduct(dv, GEMM.load(r + o1))
                                s2 = s2.addingProduct(dv, GEMM.load(r + o2))
                                s3 = s3.addingProduct(dv, GEMM.load(r + o3))
                                s4 = s4.addingProduct(dv, GEMM.load(r + o4))
                                s5 = s5.addingProduct(dv, GEMM.load(r + o5))
                                s6 = s6.addingProduct(dv, GEMM.load(r + o6))
                                s7 = s7.addingProduct(dv, GEMM.load(r + o7))
                            }
                        }
                        let d = dW + co * shape.patchSize + c * taps + t0
                        d[0] += horizontalSum(s0)
                        if n > 1 { d[1] += horizontalSum(s1) }
                        if n > 2 { d[2] += horizontalSum(s2) }
                        if n > 3 { d[3] += horizontalSum(s3) }
                        if n > 4 { d[4] += horizontalSum(s4) }
                        if n > 5 { d[5] += horizontalSum(s5) }
                        if n > 6 { d[6] += horizontalSum(s6) }
                        if n > 7 { d[7] += horizontalSum(s7) }
                    }
                }
            }
        }
    }

    /// The direct weight gradient (stride 1), via `directWeightGradient`: gradWeight and gradBias (if
    /// non-nil) OVERWRITTEN with the batch sums.
    static func directWeightGradientBatch(_ g: Conv2DGeometry, input: UnsafePointer<Float>,
                                          gradOutput: UnsafePointer<Float>, gradWeight: UnsafeMutablePointer<Float>,
                                          gradBias: UnsafeMutablePointer<Float>?) {
        let shape = PatchShape(g)
        let (cout, kk, p, ow) = (g.outChannels, g.patchSize, g.outPlane, g.outWidth)
        let workers = Parallel.workers(batch: g.batch)
        let partials = (0..<workers).map { _ in Scratch(cout * kk + cout) }
        let sums = UncheckedSendable(partials.map(\.p))
        let ptr = Pointers(a: input, b: gradOutput, c: nil, out: gradWeight)
        Parallel.forEachWorker(batch: g.batch) { worker, samples in
            let dW = sums.value[worker], dB = dW + cout * kk
            dW.update(repeating: 0, count: cout * kk + cout)
            let paddedCount = shape.channels * shape.paddedPlane + PatchShape.slack
            let padded = Scratch(paddedCount)
            padded.p.update(repeating: 0, count: paddedCount)
            let rowStride = (ow + 15) / 16 * 16
            let dout = Scratch(cout * g.outHeight * rowStride)
            dout.p.update(repeating: 0, count: cout * g.outHeight * rowStride)
            for n in samples {
                shape.pad(ptr.a + n * g.inChannels * g.inPlane, count: 1, into: padded.p)
                let src = ptr.b + n * cout * p
                for r in 0..<(cout * g.outHeight) { (dout.p + r * rowStride).update(from: src + r * ow, count: ow) }
                for co in 0..<cout { dB[co] += sum(src + co * p, count: p) }
                directWeightGradient(shape, m: cout, padded: padded.p, dout: dout.p, rowStride: rowStride, dW: dW)
            }
        }
        gradWeight.update(repeating: 0, count: cout * kk)
        gradBias?.update(repeating: 0, count: cout)
        for w in 0..<workers {
            addRow(gradWeight, partials[w].p, count: cout * kk)
            if let gradBias { addRow(gradBias, partials[w].p + cout * kk, count: cout) }
        }
    }
}
