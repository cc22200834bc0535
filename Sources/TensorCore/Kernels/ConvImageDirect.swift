// Convolution on small planes with many output channels, without packing the column matrix.
//
// The implicit-im2col path (ConvPacking.swift) copies every element of col[K, P] into a GEMM panel and then
// uses it for Cout multiply-adds. On a 7x7 or 14x14 plane with 64 output channels that copy is a large share
// of the work: its runs of 7 or 14 floats do not fill a vector, and there are only 64 rows to share it.
// Here the product is turned around,
//
//     out^T[P, Cout] = col^T[P, K] x W^T[K, Cout]
//
// so the micro-kernel's broadcast operand is the column matrix, read straight from the zero-padded image,
// and its vector operand is W^T, packed once per call:
//
//     A(step p, row r) = padded[pixelBase(r) + rowOffsets[p]]     row r = output pixel, step p = (c, kh, kw)
//
// This is the weight-gradient kernel (ConvWeightGradient.swift) with the roles of the two offset tables
// swapped: there rows are weight positions and steps are pixels. A 6 x 64 tile holds 6 pixels x 64 output
// channels; per step the kernel loads 4 vectors of W^T and 6 floats of the image for 24 FMAs, and nothing
// is copied. The [P, Cout] result is transposed into [Cout, P] (adding the bias) once per sample group.

extension Conv2DKernels {
    /// Whether the image-direct path computes a convolution with `m` output channels (GEMM rows) on `shape`.
    /// Chosen from `Benchmarks --kernels` runs of both paths on the chapter models' layers (batch 128):
    /// - planes up to 14x14 with 32 or more channels in whole vectors: 7-28% faster (the packing dominated);
    /// - 28x28 planes with exactly 32 channels and K >= 256: 11-28% faster (32 rows fill 6-row GEMM tiles
    ///   only to 32/36, and the copy of each column element serves just 32 multiply-adds);
    /// - not 28x28 with 64 or 96 channels (the packed GEMM is as fast or up to 10% faster), and never a small
    ///   K such as a 1 -> 32 layer (K = 9 or 25: the tile bookkeeping costs more than the copies it saves).
    static func useImageDirect(_ shape: PatchShape, m: Int) -> Bool {
        guard m % 16 == 0 && m >= 32 else { return false }
        let plane = shape.outHeight * shape.outWidth
        return plane <= 196 || (m == 32 && shape.patchSize >= 256)
    }

    /// output[n] = weight x col(input[n]) (+ bias), computed as (col^T x W^T)^T with A read from the image.
    /// - input:  [batch, shape.channels, shape.height, shape.width]
    /// - weight: [outChannels, shape.patchSize]
    /// - output: [batch, outChannels, shape.outHeight, shape.outWidth]
    static func imageDirectConvolution(_ shape: PatchShape, batch: Int, outChannels cout: Int,
                                       input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                       bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>) {
        let (kk, p) = (shape.patchSize, shape.outHeight * shape.outWidth)
        let inSize = shape.channels * shape.height * shape.width
        let sampleSize = shape.channels * shape.paddedPlane
        let blocks = (cout + GEMM.nr - 1) / GEMM.nr
        let packed = packTransposedPanels(weight, rows: cout, k: kk)  // W^T[K, Cout]
        // Workers with six or more samples run them six at a time, sample-major and skipping the padding
        // (ConvSampleMajor.swift), where the padding takes a tenth of the taps or more: 5x5 kernels on 7x7 and
        // 14x14 planes (+10-25% measured), 3x3 on 7x7 (+5%); not 3x3 on 14x14 or 28x28, nor strided layers,
        // where the channels-last copy costs more than the skipped taps save.
        let sampleMajor = shape.stride == 1 && batch >= GEMM.mr * workerCount(batch: batch)
            && shape.validTapFraction <= 0.9
        let taps = sampleMajor ? ValidTaps(shape) : ValidTaps()
        let tapMajor = sampleMajor ? packTapMajor(shape, outChannels: cout, weight: weight) : nil
        let plan = Unchecked(value: (packed: tapMajor?.p, taps: taps))
        let offsets = shape.rowOffsets()
        offsets.withUnsafeBufferPointer { offsetsBuffer in
            let rowOffsets = Unchecked(value: offsetsBuffer.baseAddress!)
            let ptr = Pointers(a: input, b: packed.p, c: bias, out: output)
            forEachWorker(batch: batch) { _, all in
                let sixes = all.count / GEMM.mr * GEMM.mr
                if let packedTaps = plan.value.packed, sixes > 0 {
                    let buffers = SampleMajorBuffers(shape, outChannels: cout)
                    for n0 in Swift.stride(from: all.lowerBound, to: all.lowerBound + sixes, by: GEMM.mr) {
                        sampleMajorConvolution(shape, n0: n0, outChannels: cout, input: ptr.a, packed: packedTaps,
                                               taps: plan.value.taps, bias: ptr.c, output: ptr.out, buffers: buffers)
                    }
                }
                // The rest (fewer than six samples, or all of them when sample-major is off): pixel-major.
                let samples = (plan.value.packed == nil ? all.lowerBound : all.lowerBound + sixes)..<all.upperBound
                if samples.isEmpty { return }
                let group = groupSize(plane: p, samples: samples.count)
                let paddedCount = group * sampleSize + PatchShape.slack
                let padded = Scratch(paddedCount)
                padded.p.update(repeating: 0, count: paddedCount)
                let outT = Scratch(group * p * cout)  // [group * P, Cout]
                let tile = Scratch(GEMM.mr * GEMM.nr)
                // Offset of output pixel q = (sample i, y, x) in the padded group: where its patch starts.
                let pixels = UnsafeMutablePointer<Int>.allocate(capacity: group * p)
                defer { pixels.deallocate() }
                for q in 0..<(group * p) {
                    let (i, y, x) = (q / p, q % p / shape.outWidth, q % shape.outWidth)
                    pixels[q] = i * sampleSize + y * shape.stride * shape.paddedWidth + x * shape.stride
                }
                let kcTarget = GEMM.kcDepth(kk)
                for n0 in Swift.stride(from: samples.lowerBound, to: samples.upperBound, by: group) {
                    let count = min(group, samples.upperBound - n0)
                    let ld = count * p
                    shape.pad(ptr.a + n0 * inSize, count: count, into: padded.p)
                    var k0 = 0
                    while k0 < kk {
                        let kc = min(kcTarget, kk - k0)
                        let beta: Float = k0 == 0 ? 0 : 1
                        for b in 0..<blocks {
                            let co0 = b * GEMM.nr, nc = min(GEMM.nr, cout - co0), nv = (nc + 15) / 16
                            let panelB = UnsafePointer(ptr.b + b * kk * GEMM.nr + k0 * 16 * nv)
                            var q0 = 0
                            while q0 < ld {
                                // Rows past the last pixel repeat it; their results are not stored.
                                func row(_ r: Int) -> UnsafePointer<Float> { UnsafePointer(padded.p + pixels[min(q0 + r, ld - 1)]) }
                                let panel = ImagePanel(r0: row(0), r1: row(1), r2: row(2), r3: row(3), r4: row(4),
                                                       r5: row(5), stepOffsets: rowOffsets.value + k0)
                                GEMM.sixRowTile(nv: nv, kc: kc, a: panel, b: panelB, tile: tile.p)
                                GEMM.storeTile(tile.p, rows: min(GEMM.mr, ld - q0), cols: nc, alpha: 1, beta: beta,
                                               c: outT.p + q0 * cout + co0, ldc: cout)
                                q0 += GEMM.mr
                            }
                        }
                        k0 += kc
                    }
                    for i in 0..<count {
                        transposeAddingBias(outT.p + i * p * cout, pixels: p, channels: cout, bias: ptr.c,
                                            into: ptr.out + (n0 + i) * cout * p)
                    }
                }
            }
        }
        withExtendedLifetime((packed, tapMajor)) {}
    }

    /// W^T[K, rows] from a row-major matrix a[rows, K], packed for the micro-kernel's vector operand as one
    /// [K, 64] k-major panel per 64 rows (the last one zero-filled to whole vectors): the weights of the
    /// image-direct, sample-major and strided input-gradient paths.
    static func packTransposedPanels(_ a: UnsafePointer<Float>, rows: Int, k: Int) -> Scratch {
        let blocks = (rows + GEMM.nr - 1) / GEMM.nr
        let packed = Scratch(blocks * k * GEMM.nr)
        for b in 0..<blocks {
            GEMM.packB(trans: true, b: a, ldb: k, p0: 0, kc: k, j0: b * GEMM.nr,
                       cols: min(GEMM.nr, rows - b * GEMM.nr), dst: packed.p + b * k * GEMM.nr)
        }
        return packed
    }

    /// out[co, x] = src[x, co] + bias[co] for one sample: [P, Cout] -> [Cout, P], Cout a multiple of 16.
    /// 16 x 16 blocks are transposed in registers (`GEMM.transpose16`); the last P % 16 pixels one by one.
    static func transposeAddingBias(_ src: UnsafePointer<Float>, pixels p: Int, channels cout: Int,
                                    bias: UnsafePointer<Float>?, into out: UnsafeMutablePointer<Float>) {
        let fullP = p / 16 * 16
        for co0 in Swift.stride(from: 0, to: cout, by: 16) {
            for x0 in Swift.stride(from: 0, to: fullP, by: 16) {
                GEMM.transpose16(src: src + x0 * cout + co0, ld: cout, dst: out + co0 * p + x0, ldDst: p)
            }
            for co in co0..<(co0 + 16) {
                for x in fullP..<p { out[co * p + x] = src[x * cout + co] }
            }
        }
        guard let bias else { return }
        for co in 0..<cout {
            let row = out + co * p, b = GEMM.Vec(repeating: bias[co])
            for x in Swift.stride(from: 0, to: fullP, by: 16) { GEMM.store(GEMM.load(row + x) + b, row + x) }
            for x in fullP..<p { row[x] += bias[co] }
        }
    }
}
