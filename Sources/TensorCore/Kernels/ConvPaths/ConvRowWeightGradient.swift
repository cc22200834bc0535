// The weight gradient on 14x14-sized padded planes: one kernel row at a time, skipping the padding rows.
//
//     dW[co, (c, kh, kw)] = sum over samples n and output pixels (y, x) of
//                           dout_n[co, y, x] * image_n[c, y + kh - p, x + kw - p]
//
// ConvWeightGradient.swift sums over every output pixel for every tap; ConvTapWeightGradient.swift sums tap
// by tap over only the pixels whose input is real, but pays for a copy of dout per tap. This kernel sits
// between them. With the image channels-last ([Hp][Wp][C]), the K entries of one kernel row kh, in (kw, c)
// order, are KW * C *contiguous* floats of the image for every output pixel:
//
//     dW^T[(kh, kw, c), co] += sum over pixels (y, x) of image_n[((y + kh) * Wp + x) * C + (kw * C + c)] * dout^T_n[(y, x), co]
//
// so six adjacent rows (kw * C + c .. + 5) of a micro-tile read six adjacent floats at one offset per pixel
// (`AdjacentRows`). The pixels whose input row y + kh - p falls in the padding are one range of y, and they
// are left out: the output rows y in yLo..<yHi form a contiguous block of dout^T, so the vector operand is
// a slice of dout^T packed once per sample, no copy per kernel row. A 5x5 kernel on a 14x14 plane skips 6
// of its 70 (output row, kernel row) pairs, 8.6% of the work. The padding columns are still multiplied (a
// tile's six rows may span two kw, which see different columns).

extension Conv2DKernels {
    /// gradWeight[Cout, Cin, KH, KW] and gradBias[Cout] (if non-nil), OVERWRITTEN with the batch sums.
    /// Stride 1 only.
    static func rowWeightGradient(_ g: Conv2DGeometry, input: UnsafePointer<Float>, gradOutput: UnsafePointer<Float>,
                                  gradWeight: UnsafeMutablePointer<Float>, gradBias: UnsafeMutablePointer<Float>?) {
        let shape = PatchShape(g)
        let (c, cout, kk, p) = (g.inChannels, g.outChannels, g.patchSize, g.outPlane)
        let (kh, kw, oh, ow) = (g.kernelHeight, g.kernelWidth, g.outHeight, g.outWidth)
        let (h, w, wp) = (g.height, g.width, shape.paddedWidth)
        let sampleSize = shape.paddedPlane * c
        let rowLength = kw * c  // K entries of one kernel row
        let ptr = Pointers(a: input, b: gradOutput, c: nil, out: gradWeight)
        // The rows of the last tile past KW * C read up to 5 floats past the kernel row: still inside the
        // sample (the bottom padding row), or the buffer's slack.
        tapMajorWeightGradient(g, gradWeight: gradWeight, gradBias: gradBias) { samples, group, padded, dWT in
            let dB = dWT + kk * cout
            let bPack = Scratch(group * p * GEMM.nr)  // [sample][P][16nv]: dout^T of one 64-channel block
            let tile = Scratch(GEMM.mr * GEMM.nr)
            // Offset of output pixel (sample i, y, x) in the padded group: where its patch starts.
            let pixels = UnsafeMutablePointer<Int>.allocate(capacity: group * p)
            defer { pixels.deallocate() }
            for q in 0..<(group * p) {
                pixels[q] = q / p * sampleSize + (q % p / ow * wp + q % ow) * c
            }
            for n0 in Swift.stride(from: samples.lowerBound, to: samples.upperBound, by: group) {
                let count = min(group, samples.upperBound - n0)
                shape.padChannelsLast(ptr.a + n0 * c * h * w, count: count, into: padded)
                let dout = ptr.b + n0 * cout * p  // [count, Cout, P]
                for co in 0..<(count * cout) { dB[co % cout] += sum(dout + co * p, count: p) }
                for co0 in Swift.stride(from: 0, to: cout, by: GEMM.nr) {
                    let nc = min(GEMM.nr, cout - co0), nv = (nc + 15) / 16, width = 16 * nv
                    for i in 0..<count {
                        GEMM.packB(trans: true, b: dout + i * cout * p, ldb: p, p0: 0, kc: p, j0: co0, cols: nc,
                                   dst: bPack.p + i * p * width)
                    }
                    for a in 0..<kh {
                        // Output rows whose input row y + a - padH is inside the image.
                        let yLo = max(0, shape.padH - a), yHi = min(oh, h + shape.padH - a)
                        if yHi <= yLo { continue }
                        let (q0, steps) = (yLo * ow, (yHi - yLo) * ow)
                        // Sample by sample: one sample's dout^T rows (168 x 64 floats for 5x5 on 14x14) stay in
                        // the L1 cache for all the tiles; six samples' would not (up to 7% slower measured).
                        for i in 0..<count {
                            let pixelsI = pixels + i * p + q0, bI = bPack.p + (i * p + q0) * width
                            for j0 in Swift.stride(from: 0, to: rowLength, by: GEMM.mr) {
                                let panel = AdjacentRows(base: padded + a * wp * c + j0, offsets: pixelsI)
                                GEMM.sixRowTile(nv: nv, kc: steps, a: panel, b: bI, tile: tile.p)
                                GEMM.storeTile(tile.p, rows: min(GEMM.mr, rowLength - j0), cols: nc, alpha: 1, beta: 1,
                                               c: dWT + (a * rowLength + j0) * cout + co0, ldc: cout)
                            }
                        }
                    }
                }
            }
        }
    }

    /// The frame of the two weight gradients that keep dW^T in (kh, kw, c) order. Each worker runs `body` on
    /// its samples with its own zeroed partial sum, dW^T [(kh, kw, c), Cout] followed by dB [Cout], and a
    /// zeroed channels-last buffer for `group` padded samples ([group][Hp][Wp][C] plus slack; the body fills
    /// it with `padChannelsLast`, the border stays zero). The partials are then summed into
    /// gradWeight[Cout, Cin, KH, KW] and gradBias[Cout] (if non-nil), which are overwritten.
    static func tapMajorWeightGradient(
        _ g: Conv2DGeometry, gradWeight: UnsafeMutablePointer<Float>, gradBias: UnsafeMutablePointer<Float>?,
        _ body: @escaping @Sendable (_ samples: Range<Int>, _ group: Int, _ padded: UnsafeMutablePointer<Float>,
                                     _ dWT: UnsafeMutablePointer<Float>) -> Void
    ) {
        let shape = PatchShape(g)
        let (c, cout, kk, kh, kw) = (g.inChannels, g.outChannels, g.patchSize, g.kernelHeight, g.kernelWidth)
        let partials = (0..<Parallel.workers(batch: g.batch)).map { _ in Scratch(kk * cout + cout) }
        let sums = UncheckedSendable(partials.map(\.p))
        Parallel.forEachWorker(batch: g.batch) { worker, samples in
            let dWT = sums.value[worker]
            dWT.update(repeating: 0, count: kk * cout + cout)
            let group = min(samples.count, GEMM.mr)
            let paddedCount = group * shape.paddedPlane * c + PatchShape.slack
            let padded = Scratch(paddedCount)
            padded.p.update(repeating: 0, count: paddedCount)
            body(samples, group, padded.p, dWT)
        }
        // gradWeight[co, (ci, a, b)] = sum over the partials of dW^T[(a, b, ci), co]; gradBias likewise.
        for co in 0..<cout {
            for ci in 0..<c {
                for a in 0..<kh {
                    for b in 0..<kw {
                        var s: Float = 0
                        for part in partials { s += part.p[((a * kw + b) * c + ci) * cout + co] }
                        gradWeight[co * kk + (ci * kh + a) * kw + b] = s
                    }
                }
            }
            if let gradBias {
                var s: Float = 0
                for part in partials { s += part.p[kk * cout + co] }
                gradBias[co] = s
            }
        }
    }
}
