import Foundation

// The weight gradient of a convolution, without materialising im2col.
//
//     dW[co, (c, kh, kw)] = sum over samples and output pixels q of dout[co, q] * col[(c, kh, kw), q]
//
// As a GEMM with M = Cout, N = K = Cin*KH*KW and depth = pixels, B would be col^T: packing it needs a transpose
// of the (large) column matrix. We compute the transposed product instead,
//
//     dW^T[K, Cout] = col[K, pixels] x dout^T[pixels, Cout]
//
// where the micro-kernel's broadcast operand A = col is read *directly from the zero-padded image*: row r of
// the tile is weight position (c, kh, kw), i.e. a fixed offset into the padded sample, and step q adds the
// offset of output pixel q. Six scalar loads per step, no packing at all. The vector operand B = dout^T is a
// small [pixels, Cout] transpose (Cout*pixels floats per group, reused by all K/6 row panels). dW^T is
// transposed back into dW once at the end, while the per-core partial sums are added.

extension Conv2DKernels {
    /// A(q, r) = rowR[stepOffsets[q]]: six rows of a matrix read from the padded image, each row a base
    /// pointer and each step an offset added to all six (here rows are weight positions and steps are pixels;
    /// ConvImageDirect.swift uses it the other way round).
    struct ImagePanel: MicroPanelA {
        let r0, r1, r2, r3, r4, r5: UnsafePointer<Float>
        let stepOffsets: UnsafePointer<Int>

        @inline(__always) func step(_ q: Int) -> Int { stepOffsets[q] }
        @inline(__always) func value(_ offset: Int, _ r: Int) -> Float {
            switch r {
            case 0: return r0[offset]
            case 1: return r1[offset]
            case 2: return r2[offset]
            case 3: return r3[offset]
            case 4: return r4[offset]
            default: return r5[offset]
            }
        }
    }

    /// The image weight gradient: gradWeight[Cout, Cin, KH, KW] and gradBias[Cout] (if non-nil) OVERWRITTEN
    /// with the batch sums, any geometry (ConvPlan.swift picks it for 16 or more output channels).
    static func implicitWeightGradient(_ g: Conv2DGeometry, input: UnsafePointer<Float>,
                                       gradOutput: UnsafePointer<Float>, gradWeight: UnsafeMutablePointer<Float>,
                                       gradBias: UnsafeMutablePointer<Float>?) {
        let shape = PatchShape(g)
        let (cout, kk, p) = (g.outChannels, g.patchSize, g.outPlane)
        let inSize = g.inChannels * g.inPlane
        let sampleSize = shape.channels * shape.paddedPlane
        let workers = Parallel.workers(batch: g.batch)
        // Per worker: dW^T [K, Cout] followed by dB [Cout].
        let partials = (0..<workers).map { _ in Scratch(kk * cout + cout) }
        let sums = UncheckedSendable(partials.map(\.p))
        let offsets = shape.rowOffsets()
        offsets.withUnsafeBufferPointer { offsetsBuffer in
            let rowOffsets = UncheckedSendable(offsetsBuffer.baseAddress!)
            let ptr = Pointers(a: input, b: gradOutput, c: nil, out: gradWeight)
            Parallel.forEachWorker(batch: g.batch) { worker, samples in
                let dWT = sums.value[worker], dB = dWT + kk * cout
                dB.update(repeating: 0, count: cout)
                let group = groupSize(plane: p, samples: samples.count)
                let paddedCount = group * sampleSize + PatchShape.slack
                let padded = Scratch(paddedCount)
                padded.p.update(repeating: 0, count: paddedCount)
                let wide = group > 1 ? Scratch(cout * group * p) : nil
                let bPack = Scratch(GEMM.kcMax * GEMM.nr + 32), tile = Scratch(GEMM.mr * GEMM.nr)
                // Offset of output pixel q = (sample i, y, x) in the padded group: where its patch starts.
                let pixels = UnsafeMutablePointer<Int>.allocate(capacity: group * p)
                defer { pixels.deallocate() }
                for q in 0..<(group * p) {
                    let (i, y, x) = (q / p, q % p / shape.outWidth, q % shape.outWidth)
                    pixels[q] = i * sampleSize + y * shape.stride * shape.paddedWidth + x * shape.stride
                }
                var first = true
                for n0 in Swift.stride(from: samples.lowerBound, to: samples.upperBound, by: group) {
                    let count = min(group, samples.upperBound - n0)
                    let ld = count * p
                    shape.pad(ptr.a + n0 * inSize, count: count, into: padded.p)
                    // dout of the group side by side: [Cout, ld]. It is B^T of the product.
                    let dout = count == 1 ? ptr.b + n0 * cout * p : gatherPlanes(ptr.b + n0 * cout * p, channels: cout,
                                                                                 plane: p, count: count, into: wide!.p)
                    for co in 0..<cout { dB[co] += sum(dout + co * ld, count: ld) }
                    let kcTarget = GEMM.kcDepth(ld)
                    var q0 = 0
                    while q0 < ld {
                        let kc = min(kcTarget, ld - q0)
                        let beta: Float = first && q0 == 0 ? 0 : 1
                        var co0 = 0
                        while co0 < cout {
                            let nc = min(GEMM.nr, cout - co0)
                            GEMM.packB(trans: true, b: dout, ldb: ld, p0: q0, kc: kc, j0: co0, cols: nc, dst: bPack.p)
                            var i0 = 0
                            while i0 < kk {
                                // Rows past K repeat the last row; their results are not stored.
                                func row(_ r: Int) -> UnsafePointer<Float> {
                                    UnsafePointer(padded.p + rowOffsets.value[min(i0 + r, kk - 1)])
                                }
                                let panel = ImagePanel(r0: row(0), r1: row(1), r2: row(2), r3: row(3), r4: row(4),
                                                       r5: row(5), stepOffsets: pixels + q0)
                                GEMM.sixRowTile(nv: (nc + 15) / 16, kc: kc, a: panel, b: bPack.p, tile: tile.p)
                                GEMM.storeTile(tile.p, rows: min(GEMM.mr, kk - i0), cols: nc, alpha: 1, beta: beta,
                                               c: dWT + i0 * cout + co0, ldc: cout)
                                i0 += GEMM.mr
                            }
                            co0 += nc
                        }
                        q0 += kc
                    }
                    first = false
                }
            }
        }
        // gradWeight[co, j] = sum over workers of dW^T[j, co]; gradBias likewise.
        for co in 0..<cout {
            for j in 0..<kk {
                var s: Float = 0
                for w in 0..<workers { s += partials[w].p[j * cout + co] }
                gradWeight[co * kk + j] = s
            }
            if let gradBias {
                var s: Float = 0
                for w in 0..<workers { s += partials[w].p[kk * cout + co] }
                gradBias[co] = s
            }
        }
    }
}
