// Implicit im2col: packing GEMM panels of the column matrix straight from the image.
//
// With a plain im2col the forward pass writes the whole column matrix col[K, P] (K = Cin*KH*KW, P = OH*OW),
// then the GEMM reads it back to pack it into [kc, 64] panels. For a 64-channel 5x5 layer on 14x14 that is
// 1.25 MB per sample: more than L2, while the GEMM only does Cout = 64 multiply-adds per element of it.
// The copies, not the arithmetic, become the bottleneck.
//
// Instead, the B panels are packed directly from a zero-padded copy of the input. Panel row p is weight
// position (c, kh, kw); its columns are output pixels j = (sample, oh, ow). Within one output row the pixels
// read consecutive input floats (stride 1), so a panel row is a few contiguous runs of OW floats:
//
//     B[p, (g, oh, ow)] = padded[g, c, oh * s + kh, ow * s + kw]
//                       = padded[base(g, oh, ow) + offset(c, kh, kw)]      (no bounds checks: padding is real)
//
// Each run is copied with whole 16-float vectors even when it is shorter: the extra floats land where the
// next run (or the next panel row, or the buffer slack) is written afterwards, so a 14-float run costs one
// load and one store.

extension Conv2DKernels {
    /// Packs panels of the (never materialised) column matrix of a group of padded samples.
    struct ImplicitIm2Col {
        let shape: PatchShape
        /// [count, C, Hp, Wp] + PatchShape.slack floats
        let padded: UnsafePointer<Float>
        /// shape.rowOffsets()
        let rowOffsets: UnsafePointer<Int>

        /// dst[p - p0, j - j0] = col[p, j] for p in p0..<p0+kc, j in j0..<j0+cols; dst rows are W = 16 *
        /// ceil(cols / 16) wide, zero beyond `cols`. dst needs 16 floats of slack after its last row.
        func pack(p0: Int, kc: Int, j0: Int, cols: Int, dst: UnsafeMutablePointer<Float>) {
            let (oh, ow, s) = (shape.outHeight, shape.outWidth, shape.stride)
            let plane = oh * ow
            let sampleSize = shape.channels * shape.paddedPlane
            let w = (cols + 15) / 16 * 16
            // The runs of the panel's columns: (destination column, source offset, length). They are the same
            // for every row p; only the source offset of the row, rowOffsets[p], is added.
            withUnsafeTemporaryAllocation(of: Int.self, capacity: 3 * (cols + 1)) { runs in
                var count = 0
                var j = j0
                while j < j0 + cols {
                    let g = j / plane, pix = j % plane
                    let y = pix / ow, x = pix % ow
                    let len = min(ow - x, j0 + cols - j)
                    runs[3 * count] = j - j0
                    runs[3 * count + 1] = g * sampleSize + y * s * shape.paddedWidth + x * s
                    runs[3 * count + 2] = len
                    count += 1
                    j += len
                }
                for p in 0..<kc {
                    let src = padded + rowOffsets[p0 + p]
                    let out = dst + p * w
                    for r in 0..<count {
                        copyRun(from: src + runs[3 * r + 1], to: out + runs[3 * r], count: runs[3 * r + 2], stride: s)
                    }
                    if cols < w { (out + cols).update(repeating: 0, count: w - cols) }
                }
            }
        }

        /// to[0..<count] = from[0, s, 2s, ...]; may write up to 15 floats past `count` (and read past the end).
        @inline(__always)
        func copyRun(from: UnsafePointer<Float>, to: UnsafeMutablePointer<Float>, count: Int, stride s: Int) {
            var t = 0
            if s == 1 {
                while t < count { GEMM.store(GEMM.load(from + t), to + t); t += 16 }
            } else if s == 2 {
                // Every other float of 32: the even lanes of two vectors.
                while t < count {
                    let v = GEMM.Vec(lowHalf: GEMM.load(from + 2 * t).evenHalf,
                                     highHalf: GEMM.load(from + 2 * t + 16).evenHalf)
                    GEMM.store(v, to + t)
                    t += 16
                }
            } else {
                while t < count { to[t] = from[t * s]; t += 1 }
            }
        }
    }
}

extension Conv2DKernels {
    /// The implicit-im2col path: output[n] = weight x col(input[n]) (+ bias), with the GEMM's B panels packed
    /// straight from a zero-padded copy of each group of samples (`ImplicitIm2Col`).
    /// - input:  [batch, shape.channels, shape.height, shape.width]
    /// - weight: [outChannels, shape.patchSize]
    /// - output: [batch, outChannels, shape.outHeight, shape.outWidth]
    static func implicitConvolution(_ shape: PatchShape, batch: Int, outChannels cout: Int,
                                    input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                    bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>) {
        let (kk, p) = (shape.patchSize, shape.outHeight * shape.outWidth)
        let inSize = shape.channels * shape.height * shape.width
        let ptr = Pointers(a: input, b: weight, c: bias, out: output)
        // W[Cout, K] is the A operand of every sample's product: pack it once.
        let packedWeight = GEMM.PackedA(trans: false, a: weight, lda: kk, m: cout, k: kk)
        let shared = UncheckedSendable(packedWeight)
        let offsets = shape.rowOffsets()
        offsets.withUnsafeBufferPointer { offsetsBuffer in
            let rowOffsets = UncheckedSendable(offsetsBuffer.baseAddress!)
            Parallel.forEachWorker(batch: batch) { _, samples in
                let group = groupSize(plane: p, samples: samples.count)
                let ws = GEMM.Workspace(m: cout, k: kk)
                let paddedCount = group * shape.channels * shape.paddedPlane + PatchShape.slack
                let padded = Scratch(paddedCount)
                padded.p.update(repeating: 0, count: paddedCount)
                let wide = group > 1 ? Scratch(cout * group * p) : nil
                let packer = ImplicitIm2Col(shape: shape, padded: padded.p, rowOffsets: rowOffsets.value)
                for n0 in Swift.stride(from: samples.lowerBound, to: samples.upperBound, by: group) {
                    let count = min(group, samples.upperBound - n0)
                    let ld = count * p
                    shape.pad(ptr.a + n0 * inSize, count: count, into: padded.p)
                    // One sample writes straight into the output; a group goes through `wide` and is scattered.
                    let c = count == 1 ? ptr.out + n0 * cout * p : wide!.p
                    GEMM.blocked(rows: 0..<cout, cols: 0..<ld, k: kk, alpha: 1, beta: 0, c: c, ldc: ld, workspace: ws,
                                 packA: { i0, _, p0, kc, _ in shared.value.panels(i0: i0, p0: p0, kc: kc) },
                                 packB: { packer.pack(p0: $0, kc: $1, j0: $2, cols: $3, dst: $4) })
                    scatter(c, ld: ld, count: count, channels: cout, plane: p, bias: ptr.c,
                            into: ptr.out + n0 * cout * p)
                }
            }
        }
        withExtendedLifetime(packedWeight) {}
    }
}
