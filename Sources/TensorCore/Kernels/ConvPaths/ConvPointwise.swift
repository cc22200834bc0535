// The pointwise path: a 1x1, stride-1, unpadded convolution needs no im2col, since each input sample
// [Cin, H*W] already is its column matrix. The forward pass and the input gradient are plain GEMMs per sample:
//
//     forward:        out_n[Cout, HW] = W[Cout, Cin] x in_n[Cin, HW] (+ bias)
//     input gradient: gradIn_n[Cin, HW] = W^T[Cin, Cout] x gradOut_n[Cout, HW]
//
// (The weight gradient of a 1x1 layer is the explicit-im2col one with the input as the column matrix: Im2Col.swift.)

extension Conv2DKernels {
    /// c[n] = A x b[n] (+ bias) for every sample, each core on its own samples with a single-threaded GEMM.
    /// - a: [m, k] packed; b: [batch, k, plane]; c: [batch, m, plane]
    static func pointwise(batch: Int, m: Int, k: Int, plane: Int, a: GEMM.PackedA, b: UnsafePointer<Float>,
                          bias: UnsafePointer<Float>?, c: UnsafeMutablePointer<Float>) {
        let ptr = Pointers(a: b, b: b, c: bias, out: c)
        let shared = UncheckedSendable(a)
        Parallel.forEachWorker(batch: batch) { _, samples in
            let ws = GEMM.Workspace(m: m, k: k)
            for n in samples {
                let bn = ptr.a + n * k * plane, cn = ptr.out + n * m * plane
                GEMM.blocked(rows: 0..<m, cols: 0..<plane, k: k, alpha: 1, beta: 0, c: cn, ldc: plane, workspace: ws,
                             packA: { i0, _, p0, kc, _ in shared.value.panels(i0: i0, p0: p0, kc: kc) },
                             packB: { GEMM.packB(trans: false, b: bn, ldb: plane, p0: $0, kc: $1, j0: $2, cols: $3, dst: $4) })
                scatter(cn, ld: plane, count: 1, channels: m, plane: plane, bias: ptr.c, into: cn)
            }
        }
    }

    /// output[N, Cout, H, W] = W x input[n] (+ bias).
    static func pointwiseForward(_ g: Conv2DGeometry, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                 bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>) {
        let packedW = GEMM.PackedA(trans: false, a: weight, lda: g.inChannels, m: g.outChannels, k: g.inChannels)
        pointwise(batch: g.batch, m: g.outChannels, k: g.inChannels, plane: g.inPlane, a: packedW, b: input,
                  bias: bias, c: output)
        withExtendedLifetime(packedW) {}
    }

    /// gradInput[N, Cin, H, W] = W^T x gradOutput[n].
    static func pointwiseInputGradient(_ g: Conv2DGeometry, gradOutput: UnsafePointer<Float>,
                                       weight: UnsafePointer<Float>, gradInput: UnsafeMutablePointer<Float>) {
        let (cin, cout) = (g.inChannels, g.outChannels)
        let packedWT = GEMM.PackedA(trans: true, a: weight, lda: cin, m: cin, k: cout)
        pointwise(batch: g.batch, m: cin, k: cout, plane: g.inPlane, a: packedWT, b: gradOutput, bias: nil,
                  c: gradInput)
        withExtendedLifetime(packedWT) {}
    }
}
