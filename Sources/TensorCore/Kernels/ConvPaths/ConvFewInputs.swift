// The forward pass of a convolution with a tiny K, such as a UNet's first layer (1 -> 32 channels, K = 9).
//
// With K = 9 the implicit-im2col GEMM does 9 steps of multiply-adds per 6 x 64 tile and then handles the
// tile three more times: the micro-kernel writes it to scratch, `storeTile` copies it into the output, and a
// last pass adds the bias. For a 1 -> 32 layer on 28x28 that epilogue costs more than the arithmetic. Here
// the tile goes from registers to the output once, with its bias:
//
//     out[co, y, x .. x+15] = bias[co] + sum over p < K of W[co, p] * padded[c, y + kh, x + kw .. x + kw + 15]
//
// The tile's 64 columns are four 16-pixel vectors of output rows: a 28-wide row is covered by vectors at
// x = 0 and x = 12 (pixels 12-15 are computed twice, alike), so every vector lies inside one row and can be
// stored whole. The B panel [K, 64] is packed by copying those vectors from the padded image, 4K vector
// copies shared by all the Cout/6 row tiles; W [Cout, K] is packed once.

extension Conv2DKernels {
    /// output[N, Cout, OH, OW] = conv(input[N, C, H, W]) + bias: stride 1, output rows at least 16 wide and
    /// K <= GEMM.kcMax, since the packed weights are read as one k-block (ConvPlan.swift picks it for K <= 32).
    static func fewInputsConvolution(_ shape: PatchShape, batch: Int, outChannels cout: Int,
                                     input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                     bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>) {
        let (kk, oh, ow, wp) = (shape.patchSize, shape.outHeight, shape.outWidth, shape.paddedWidth)
        let (inSize, outPlane) = (shape.channels * shape.height * shape.width, oh * ow)
        let packedW = GEMM.PackedA(trans: false, a: weight, lda: kk, m: cout, k: kk)
        let shared = UncheckedSendable(packedW)
        // Every 16-pixel output vector of the plane: rows in order, and within a row x = 0, 16, ... with the
        // last one ending at OW. `vectors` holds the offset of its first pixel y * OW + x in the output plane,
        // `sources` where that pixel's patch starts in the padded sample, y * Wp + x.
        var vectors: [Int] = [], sources: [Int] = []
        for y in 0..<oh {
            for x in Array(Swift.stride(from: 0, to: ow - 16, by: 16)) + [ow - 16] {
                vectors.append(y * ow + x)
                sources.append(y * wp + x)
            }
        }
        let taps = shape.rowOffsets()  // offset of tap p = (c, kh, kw) in the padded sample
        let plan = UncheckedSendable((vectors: vectors, sources: sources, taps: taps))
        let ptr = Pointers(a: input, b: weight, c: bias, out: output)
        Parallel.forEachWorker(batch: batch) { _, samples in
            let paddedCount = shape.channels * shape.paddedPlane + PatchShape.slack
            let padded = Scratch(paddedCount)
            padded.p.update(repeating: 0, count: paddedCount)
            let panel = Scratch(kk * GEMM.nr), tile = Scratch(GEMM.mr * GEMM.nr)
            let (vectors, sources, taps) = plan.value
            for n in samples {
                shape.pad(ptr.a + n * inSize, count: 1, into: padded.p)
                let out = ptr.out + n * cout * outPlane
                for v0 in Swift.stride(from: 0, to: vectors.count, by: 4) {
                    let nv = min(4, vectors.count - v0)
                    for p in 0..<kk {
                        for v in 0..<nv {
                            GEMM.store(GEMM.load(padded.p + sources[v0 + v] + taps[p]), panel.p + p * 16 * nv + 16 * v)
                        }
                    }
                    for i0 in Swift.stride(from: 0, to: cout, by: GEMM.mr) {
                        let rows = min(GEMM.mr, cout - i0)
                        GEMM.microKernel(rows: rows, nv: nv)(kk, shared.value.panels(i0: i0, p0: 0, kc: kk), panel.p,
                                                             tile.p)
                        for r in 0..<rows {
                            let b = GEMM.Vec(repeating: ptr.c?[i0 + r] ?? 0), dst = out + (i0 + r) * outPlane
                            for v in 0..<nv {
                                GEMM.store(GEMM.load(tile.p + r * GEMM.nr + 16 * v) + b, dst + vectors[v0 + v])
                            }
                        }
                    }
                }
            }
        }
        withExtendedLifetime(packedW) {}
    }
}
