// The input gradient of a strided convolution, sample-major over the taps that exist.
//
//     gradInput[ci, y, x] = sum over co, kh, kw with y + p - kh = s * oy and x + p - kw = s * ox
//                           (0 <= oy < OH, 0 <= ox < OW) of  gradOutput[co, oy, ox] * W[co, ci, kh, kw]
//
// With stride 2 only the taps of one parity reach a given input pixel: a 3x3 kernel gives each pixel 4, 2, 2
// or 1 of its 9 taps, 2.25 on average. The general path (`col2imInputGradient`, Im2Col.swift) computes all nine for every
// output pixel, dcol = W^T x gradOutput, and then scatters the column matrix back with col2im; here only the
// taps that exist are multiplied and nothing is scattered. It is the sample-major kernel of
// ConvSampleMajor.swift with another table of runs:
//
//     gradInput^T[(i, y, x), ci] = sum over pixel (y, x)'s taps (kh, kw) of
//                                  sum over co of  gradOut_i[(oy * OW + ox) * Cout + co] * W^T[(kh * KW + kw) * Cout + co, ci]
//
// with gradOutput stored channels-last ([OH][OW][Cout], no padding: only existing taps are read) and W^T with K
// in (kh, kw, co) order. Each tap is one run of Cout contiguous steps; a tile is one input pixel of six samples,
// and one kernel call sums all its runs in registers.

extension Conv2DKernels {
    /// gradInput[N, Cin, H, W], overwritten, from gradOutput[N, Cout, OH, OW] and weight[Cout, Cin, KH, KW];
    /// input channels a multiple of 16 (any stride; ConvPlan.swift picks it for strided layers).
    static func sampleMajorBackwardData(_ g: Conv2DGeometry, gradOutput: UnsafePointer<Float>,
                                        weight: UnsafePointer<Float>, gradInput: UnsafeMutablePointer<Float>) {
        let (cin, cout, kh, kw) = (g.inChannels, g.outChannels, g.kernelHeight, g.kernelWidth)
        let kk = kh * kw * cout
        // W^T[(a, b, co), ci] = W[co, ci, a, b], packed as one [K, 64] k-major panel per 64 input channels.
        let reordered = Scratch(cin * kk)
        for co in 0..<cout {
            for ci in 0..<cin {
                for a in 0..<kh {
                    for b in 0..<kw {
                        reordered.p[ci * kk + (a * kw + b) * cout + co] = weight[((co * cin + ci) * kh + a) * kw + b]
                    }
                }
            }
        }
        let packed = packTransposedPanels(reordered.p, rows: cin, k: kk)
        let plan = UncheckedSendable(ValidTaps(transposedOf: g))
        // gradOutput samples [Cout, OH, OW] -> [OH, OW, Cout]: a "padding" of zero width.
        let source = PatchShape(channels: cout, height: g.outHeight, width: g.outWidth, kernelHeight: 1,
                                kernelWidth: 1, stride: 1, padH: 0, padW: 0)
        let sourceSize = cout * g.outPlane
        let ptr = Pointers(a: gradOutput, b: packed.p, c: nil, out: gradInput)
        Parallel.forEachWorker(batch: g.batch) { _, samples in
            let buffers = SampleMajorBuffers(sourceSize: sourceSize, pixels: g.inPlane, outChannels: cin)
            for n0 in Swift.stride(from: samples.lowerBound, to: samples.upperBound, by: GEMM.mr) {
                // The last group may be short: its missing samples compute on the previous group's data and
                // are not stored.
                let count = min(GEMM.mr, samples.upperBound - n0)
                source.padChannelsLast(ptr.a + n0 * sourceSize, count: count, into: buffers.source.p)
                sampleMajorProduct(samples: count, outChannels: cin, k: kk, sourceSize: sourceSize,
                                   packed: UnsafePointer(ptr.b), taps: plan.value, bias: nil,
                                   output: ptr.out + n0 * cin * g.inPlane, buffers: buffers)
            }
        }
        withExtendedLifetime((reordered, packed)) {}
    }
}

extension Conv2DKernels.ValidTaps {
    /// The taps of a convolution's input gradient: per input pixel (y, x), one run of Cout steps for every
    /// (kh, kw) that maps it to an output pixel, K in (kh, kw, co) order, offsets into [OH][OW][Cout].
    init(transposedOf g: Conv2DGeometry) {
        let (s, p, cout) = (g.stride, g.padding, g.outChannels)
        // The output index o with o * s = i + p - k, or nil when there is none.
        func source(_ i: Int, _ k: Int, _ size: Int) -> Int? {
            let t = i + p - k
            guard t >= 0 && t % s == 0 && t / s < size else { return nil }
            return t / s
        }
        for y in 0..<g.height {
            for x in 0..<g.width {
                for a in 0..<g.kernelHeight {
                    guard let oy = source(y, a, g.outHeight) else { continue }
                    for b in 0..<g.kernelWidth {
                        guard let ox = source(x, b, g.outWidth) else { continue }
                        runs.append(Conv2DKernels.TapRun(kStart: (a * g.kernelWidth + b) * cout, length: cout,
                                                         imageOffset: (oy * g.outWidth + ox) * cout))
                    }
                }
                runStart.append(runs.count)
            }
        }
    }
}
