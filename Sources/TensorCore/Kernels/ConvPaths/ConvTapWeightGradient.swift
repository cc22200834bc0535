// The weight gradient on small padded planes, without multiply-adds on the padding.
//
//     dW[co, (c, kh, kw)] = sum over samples n and output pixels (y, x) of
//                           dout_n[co, y, x] * image_n[c, y + kh - p, x + kw - p]
//
// ConvWeightGradient.swift sums over *every* output pixel for every tap, reading zeros from the padding
// where y + kh - p falls outside the image: 31% of the work for a 5x5 kernel on a 7x7 plane. Here the sum
// runs tap by tap, over the rectangle of output pixels whose input pixel is real:
//
//     for tap (kh, kw):  yLo..<yHi x xLo..<xHi = the output pixels with a real input pixel at this tap
//         dW^T[(kh, kw, c), co] += sum over those pixels q of image_n[c at q + tap] * dout^T_n[q, co]
//
// With the image channels-last ([Hp][Wp][C]), the six rows of a micro-tile are six adjacent channels of
// one input pixel: one offset per step (the pixel), six consecutive floats. The vector operand is dout^T of
// the tap's valid pixels, copied into a [steps, 64] panel per tap (1/C of the arithmetic).

extension Conv2DKernels {
    /// A(step q, row r) = base[offsets[q] + r]: six adjacent floats at a per-step offset.
    struct AdjacentRows: MicroPanelA {
        let base: UnsafePointer<Float>
        let offsets: UnsafePointer<Int>
        @inline(__always) func step(_ q: Int) -> UnsafePointer<Float> { base + offsets[q] }
        @inline(__always) func value(_ at: UnsafePointer<Float>, _ r: Int) -> Float { at[r] }
    }

    /// gradWeight[Cout, Cin, KH, KW] and gradBias[Cout] (if non-nil), OVERWRITTEN with the batch sums.
    /// Stride 1 only.
    static func tapWeightGradient(_ g: Conv2DGeometry, input: UnsafePointer<Float>, gradOutput: UnsafePointer<Float>,
                                  gradWeight: UnsafeMutablePointer<Float>, gradBias: UnsafeMutablePointer<Float>?) {
        let shape = PatchShape(g)
        let (c, cout, kk, p) = (g.inChannels, g.outChannels, g.patchSize, g.outPlane)
        let (kh, kw, oh, ow) = (g.kernelHeight, g.kernelWidth, g.outHeight, g.outWidth)
        let (h, w, wp) = (g.height, g.width, shape.paddedWidth)
        let sampleSize = shape.paddedPlane * c
        let ptr = Pointers(a: input, b: gradOutput, c: nil, out: gradWeight)
        tapMajorWeightGradient(g, gradWeight: gradWeight, gradBias: gradBias) { samples, group, padded, dWT in
            let dB = dWT + kk * cout
            let doutT = Scratch(group * p * cout)  // [(sample, pixel), Cout]
            let bPack = Scratch(group * p * GEMM.nr)
            let tile = Scratch(GEMM.mr * GEMM.nr)
            let offsets = UnsafeMutablePointer<Int>.allocate(capacity: group * p)
            defer { offsets.deallocate() }
            for n0 in Swift.stride(from: samples.lowerBound, to: samples.upperBound, by: group) {
                let count = min(group, samples.upperBound - n0)
                shape.padChannelsLast(ptr.a + n0 * c * h * w, count: count, into: padded)
                for i in 0..<count {
                    // dout: [Cout, P] -> [P, Cout], and dB.
                    let dout = ptr.b + (n0 + i) * cout * p, t = doutT.p + i * p * cout
                    for co in 0..<cout {
                        dB[co] += sum(dout + co * p, count: p)
                        for q in 0..<p { t[q * cout + co] = dout[co * p + q] }
                    }
                }
                for a in 0..<kh {
                    // Output rows y whose input row y + a - padH is inside the image; likewise columns.
                    let yLo = max(0, shape.padH - a), yHi = min(oh, h + shape.padH - a)
                    for b in 0..<kw {
                        let xLo = max(0, shape.padW - b), xHi = min(ow, w + shape.padW - b)
                        if yHi <= yLo || xHi <= xLo { continue }
                        for co0 in Swift.stride(from: 0, to: cout, by: GEMM.nr) {
                            let nc = min(GEMM.nr, cout - co0), nv = (nc + 15) / 16, width = 16 * nv
                            // The tap's valid pixels: their dout^T rows packed [steps, width], their image offsets.
                            var steps = 0
                            for i in 0..<count {
                                for y in yLo..<yHi {
                                    for x in xLo..<xHi {
                                        let row = doutT.p + (i * p + y * ow + x) * cout + co0
                                        let out = bPack.p + steps * width
                                        var j = 0
                                        while j + 16 <= nc { GEMM.store(GEMM.load(row + j), out + j); j += 16 }
                                        while j < nc { out[j] = row[j]; j += 1 }
                                        while j < width { out[j] = 0; j += 1 }
                                        offsets[steps] = i * sampleSize + ((y + a) * wp + x + b) * c
                                        steps += 1
                                    }
                                }
                            }
                            for c0 in Swift.stride(from: 0, to: c, by: GEMM.mr) {
                                // Rows past C read the next pixel's channels (or the slack); they are not stored.
                                GEMM.sixRowTile(nv: nv, kc: steps, a: AdjacentRows(base: padded + c0, offsets: offsets), b: bPack.p,
                                               tile: tile.p)
                                GEMM.storeTile(tile.p, rows: min(GEMM.mr, c - c0), cols: nc, alpha: 1, beta: 1,
                                               c: dWT + ((a * kw + b) * c + c0) * cout + co0, ldc: cout)
                            }
                        }
                    }
                }
            }
        }
    }
}
