// The image-direct convolution for six or more samples: channels-last, one output pixel of six samples per
// tile, and no multiply-adds with the zero padding.
//
// On a small plane much of a convolution's arithmetic falls on the padding: a 5x5 kernel on a 7x7 plane
// (padding 2) sees the zero border in 31% of its taps, a 3x3 kernel in 18%. The pixel-major tiles of
// ConvImageDirect.swift mix pixels with different valid taps, so they multiply those zeros like any value.
// Here a micro-tile's six rows are the *same* output pixel (y, x) of six samples: they share their valid
// taps exactly, and the kernel runs only over those.
//
// For that the padded input is stored channels-last, [sample][Hp][Wp][C], and the weights W^T with K in the
// order (kh, kw, c). Then for one kernel row kh, the valid taps kw in kwLo..<kwHi and all channels are one
// contiguous run of K, both in the image and in W^T:
//
//     out^T[(i, y, x), co] = sum over valid kh of  sum over j < (kwHi - kwLo) * C of
//                            image_i[((y*s + kh) * Wp + x*s + kwLo) * C + j] * W^T[(kh * KW + kwLo) * C + j, co]
//
// so each valid kernel row is one run of steps of the usual 6 x 64 micro-kernel, with its six A rows
// streaming contiguous floats (each cache line used whole) and its B rows a contiguous slice of W^T. One
// kernel call sums all of a pixel's runs in registers (the segmented `GEMM.sixRowTile`) and stores the
// tile once into the [6, P, Cout] result, which is transposed into the six samples' [Cout, P] outputs.

extension Conv2DKernels {
    /// Six A rows, each a pointer streaming contiguous floats: A(step p, row r) = rowR[p].
    struct ContiguousRows: MicroPanelA {
        let r0, r1, r2, r3, r4, r5: UnsafePointer<Float>
        @inline(__always) func step(_ p: Int) -> Int { p }
        @inline(__always) func value(_ p: Int, _ r: Int) -> Float {
            switch r {
            case 0: return r0[p]
            case 1: return r1[p]
            case 2: return r2[p]
            case 3: return r3[p]
            case 4: return r4[p]
            default: return r5[p]
            }
        }
    }

    /// One output pixel of six samples over its valid kernel rows `runs[0..<count]`: the segmented
    /// `GEMM.sixRowTile`, the accumulators held in registers across the runs. Sample r's image starts at
    /// `image + r * sampleSize`; the runs' W^T rows start at `b + kStart * 16nv`. Kept out of line: the loop
    /// around it runs faster without the four kernel bodies inlined into it.
    @inline(never)
    static func validTapsTile(nv: Int, runs: UnsafePointer<TapRun>, count: Int, image: UnsafePointer<Float>,
                              sampleSize: Int, b: UnsafePointer<Float>, tile: UnsafeMutablePointer<Float>) {
        GEMM.sixRowTile(nv: nv, segments: count, segment: { s in
            let run = runs[s], a = image + run.imageOffset
            let rows = ContiguousRows(r0: a, r1: a + sampleSize, r2: a + 2 * sampleSize, r3: a + 3 * sampleSize,
                                      r4: a + 4 * sampleSize, r5: a + 5 * sampleSize)
            return (rows, b + run.kStart * 16 * nv, run.length)
        }, tile: tile)
    }

    /// One valid kernel row of one output pixel: K rows kStart..<kStart+length, read at image offset
    /// `imageOffset` from the sample's padded base.
    struct TapRun {
        var kStart, length, imageOffset: Int
    }

    /// Per output pixel, its runs of valid taps: runs[runStart[q]..<runStart[q + 1]] for pixel q = y * OW + x.
    struct ValidTaps {
        var runs: [TapRun] = []
        var runStart: [Int] = [0]

        /// Output pixels P.
        var pixels: Int { runStart.count - 1 }

        /// No pixels (a placeholder when the sample-major path is not used).
        init() {}

        init(_ shape: PatchShape) {
            let (c, s, wp) = (shape.channels, shape.stride, shape.paddedWidth)
            for y in 0..<shape.outHeight {
                // Input row y*s + kh - padH must be inside 0..<height, likewise for columns.
                let khLo = max(0, shape.padH - y * s), khHi = min(shape.kernelHeight, shape.height + shape.padH - y * s)
                for x in 0..<shape.outWidth {
                    let kwLo = max(0, shape.padW - x * s), kwHi = min(shape.kernelWidth, shape.width + shape.padW - x * s)
                    if kwHi > kwLo {
                        for kh in khLo..<max(khLo, khHi) {
                            runs.append(TapRun(kStart: (kh * shape.kernelWidth + kwLo) * c, length: (kwHi - kwLo) * c,
                                               imageOffset: ((y * s + kh) * wp + x * s + kwLo) * c))
                        }
                    }
                    runStart.append(runs.count)
                }
            }
        }
    }

    /// W^T[K, Cout] with K in (kh, kw, c) order, one [K, 64] k-major panel per 64 output channels.
    /// weight: [Cout, C * KH * KW] in (c, kh, kw) order.
    static func packTapMajor(_ shape: PatchShape, outChannels cout: Int, weight: UnsafePointer<Float>) -> Scratch {
        let (c, kh, kw, kk) = (shape.channels, shape.kernelHeight, shape.kernelWidth, shape.patchSize)
        let reordered = Scratch(cout * kk)
        for co in 0..<cout {
            for ci in 0..<c {
                for a in 0..<kh {
                    for b in 0..<kw {
                        reordered.p[co * kk + (a * kw + b) * c + ci] = weight[co * kk + (ci * kh + a) * kw + b]
                    }
                }
            }
        }
        return packTransposedPanels(reordered.p, rows: cout, k: kk)
    }

    /// Scratch buffers of one worker for `sampleMajorConvolution` and `sampleMajorBackwardData`.
    final class SampleMajorBuffers {
        let source: Scratch  // [6][Hp][Wp][C] channels-last source samples (border zero)
        let outT: Scratch    // [6][P][Cout]
        let tile = Scratch(GEMM.mr * GEMM.nr)
        /// - sourceSize: floats per channels-last source sample; pixels: output pixels P per sample
        init(sourceSize: Int, pixels: Int, outChannels cout: Int) {
            let count = GEMM.mr * sourceSize
            source = Scratch(count)
            source.p.update(repeating: 0, count: count)
            outT = Scratch(GEMM.mr * pixels * cout)
        }
        convenience init(_ shape: PatchShape, outChannels cout: Int) {
            self.init(sourceSize: shape.paddedPlane * shape.channels, pixels: shape.outHeight * shape.outWidth,
                      outChannels: cout)
        }
    }

    /// output[n] for the samples n0 ..< n0 + count (count <= 6): conv(input[n]) + bias, over valid taps only.
    /// A short group's missing rows compute on whatever the buffer holds and are not stored.
    /// - input:  [batch, C, H, W]; packed: `packTapMajor(shape, ...)`; output: [batch, Cout, OH, OW]
    static func sampleMajorConvolution(_ shape: PatchShape, n0: Int, count: Int, outChannels cout: Int,
                                       input: UnsafePointer<Float>, packed: UnsafePointer<Float>, taps: ValidTaps,
                                       bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>,
                                       buffers: SampleMajorBuffers) {
        let (c, h, w) = (shape.channels, shape.height, shape.width)
        shape.padChannelsLast(input + n0 * c * h * w, count: count, into: buffers.source.p)
        sampleMajorProduct(samples: count, outChannels: cout, k: shape.patchSize, sourceSize: shape.paddedPlane * c,
                           packed: packed, taps: taps, bias: bias, output: output + n0 * cout * taps.pixels,
                           buffers: buffers)
    }

    /// output[i][Cout, P] = sum over pixel q's valid taps of source_i x W^T (+ bias), for the six channels-last
    /// source samples in `buffers.source`, of which the first `samples` are stored.
    /// - packed: W^T as [K, 64] k-major panels, K in the order `taps` index; output: [samples, Cout, P]
    static func sampleMajorProduct(samples: Int, outChannels cout: Int, k kk: Int, sourceSize: Int,
                                   packed: UnsafePointer<Float>, taps: ValidTaps, bias: UnsafePointer<Float>?,
                                   output: UnsafeMutablePointer<Float>, buffers: SampleMajorBuffers) {
        let p = taps.pixels
        let source = UnsafePointer(buffers.source.p), outT = buffers.outT.p, tile = buffers.tile.p
        taps.runs.withUnsafeBufferPointer { runs in
            for b in 0..<((cout + GEMM.nr - 1) / GEMM.nr) {
                let co0 = b * GEMM.nr, nc = min(GEMM.nr, cout - co0), nv = (nc + 15) / 16
                let panel = packed + b * kk * GEMM.nr
                for q in 0..<p {
                    let first = taps.runStart[q], last = taps.runStart[q + 1]
                    // No valid taps at all (a pixel whose kernel sees only padding) gives a zero tile.
                    validTapsTile(nv: nv, runs: runs.baseAddress! + first, count: last - first, image: source,
                                  sampleSize: sourceSize, b: panel, tile: tile)
                    GEMM.storeTile(tile, rows: GEMM.mr, cols: nc, alpha: 1, beta: 0, c: outT + q * cout + co0,
                                   ldc: p * cout)
                }
            }
        }
        for i in 0..<samples {
            transposeAddingBias(outT + i * p * cout, pixels: p, channels: cout, bias: bias, into: output + i * cout * p)
        }
    }
}
