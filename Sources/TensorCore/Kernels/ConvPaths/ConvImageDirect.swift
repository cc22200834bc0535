// Convolution on small planes with many output channels, without packing the column matrix.
//
// The implicit-im2col path (ConvImplicitIm2Col.swift) copies every element of col[K, P] into a GEMM panel and then
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
    /// output[n] = weight x col(input[n]) (+ bias), computed as (col^T x W^T)^T with A read from the image;
    /// outChannels a multiple of 16.
    /// - input:  [batch, shape.channels, shape.height, shape.width]
    /// - weight: [outChannels, shape.patchSize]
    /// - output: [batch, outChannels, shape.outHeight, shape.outWidth]
    /// - sampleMajor: the sample-major path (ConvSampleMajor.swift): each worker's samples run six at a time
    ///   sample-major, the fewer than six left over pixel-major. A worker with fewer than six samples in all
    ///   runs them sample-major as one short group (only when the path is forced: ConvPlan.swift picks it
    ///   only with six samples or more per worker).
    static func imageDirectConvolution(_ shape: PatchShape, batch: Int, outChannels cout: Int,
                                       input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                       bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>,
                                       sampleMajor: Bool) {
        let (kk, p) = (shape.patchSize, shape.outHeight * shape.outWidth)
        let inSize = shape.channels * shape.height * shape.width
        let sampleSize = shape.channels * shape.paddedPlane
        let blocks = (cout + GEMM.nr - 1) / GEMM.nr
        let packed = packTransposedPanels(weight, rows: cout, k: kk)  // W^T[K, Cout]
        let taps = sampleMajor ? ValidTaps(shape) : ValidTaps()
        let tapMajor = sampleMajor ? packTapMajor(shape, outChannels: cout, weight: weight) : nil
        let plan = UncheckedSendable((packed: tapMajor?.p, taps: taps))
        let offsets = shape.rowOffsets()
        offsets.withUnsafeBufferPointer { offsetsBuffer in
            let rowOffsets = UncheckedSendable(offsetsBuffer.baseAddress!)
            let ptr = Pointers(a: input, b: packed.p, c: bias, out: output)
            Parallel.forEachWorker(batch: batch) { _, all in
                // Sample-major: the whole groups of six, or one short group when there is no whole one.
                let sixes = all.count < GEMM.mr ? all.count : all.count / GEMM.mr * GEMM.mr
                if let packedTaps = plan.value.packed, sixes > 0 {
                    let buffers = SampleMajorBuffers(shape, outChannels: cout)
                    for n0 in Swift.stride(from: all.lowerBound, to: all.lowerBound + sixes, by: GEMM.mr) {
                        sampleMajorConvolution(shape, n0: n0, count: min(GEMM.mr, sixes - (n0 - all.lowerBound)),
                                               outChannels: cout, input: ptr.a, packed: packedTaps,
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
