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
    /// The im2col geometry of one convolution, with separate vertical/horizontal padding (the backward-data
    /// pass is a convolution with padding KH-1-p and KW-1-p).
    struct PatchShape {
        var channels, height, width, kernelHeight, kernelWidth, stride, padH, padW: Int

        var outHeight: Int { (height + 2 * padH - kernelHeight) / stride + 1 }
        var outWidth: Int { (width + 2 * padW - kernelWidth) / stride + 1 }
        var paddedHeight: Int { height + 2 * padH }
        var paddedWidth: Int { width + 2 * padW }
        var paddedPlane: Int { paddedHeight * paddedWidth }
        /// K of the GEMM: one row of the column matrix per weight position.
        var patchSize: Int { channels * kernelHeight * kernelWidth }
        /// Floats read past the last padded sample by the vector copies.
        static let slack = 64

        init(_ g: Conv2DGeometry) {
            (channels, height, width) = (g.inChannels, g.height, g.width)
            (kernelHeight, kernelWidth, stride) = (g.kernelHeight, g.kernelWidth, g.stride)
            (padH, padW) = (g.padding, g.padding)
        }

        init(channels: Int, height: Int, width: Int, kernelHeight: Int, kernelWidth: Int, stride: Int,
             padH: Int, padW: Int) {
            (self.channels, self.height, self.width) = (channels, height, width)
            (self.kernelHeight, self.kernelWidth, self.stride) = (kernelHeight, kernelWidth, stride)
            (self.padH, self.padW) = (padH, padW)
        }

        /// offset(c, kh, kw) for every row p of the column matrix: [K]
        func rowOffsets() -> [Int] {
            var table: [Int] = []
            table.reserveCapacity(patchSize)
            for c in 0..<channels {
                for kh in 0..<kernelHeight {
                    for kw in 0..<kernelWidth { table.append(c * paddedPlane + kh * paddedWidth + kw) }
                }
            }
            return table
        }

        /// Copies `count` samples [count, C, H, W] into the interior of `padded` [count, C, Hp, Wp].
        /// The border must already be zero (it is never written, so zero it once when allocating).
        func pad(_ src: UnsafePointer<Float>, count: Int, into padded: UnsafeMutablePointer<Float>) {
            for plane in 0..<(count * channels) {
                let s = src + plane * height * width
                let d = padded + plane * paddedPlane + padH * paddedWidth + padW
                for y in 0..<height { (d + y * paddedWidth).update(from: s + y * width, count: width) }
            }
        }

        /// Like `pad`, channels-last: `count` samples [count, C, H, W] into the interior of [count, Hp, Wp, C]
        /// (ConvSampleMajor.swift, ConvTapWeightGradient.swift, ConvRowWeightGradient.swift; with zero padding,
        /// ConvStridedBackwardData.swift). The border must already be zero.
        ///
        /// A transpose of each sample's [C, H*W] into [H*W, C]: in 16 x 16 register blocks
        /// (`GEMM.transpose16`) when C is a multiple of 16, into `scratch` and then one copy per image row into
        /// the padded layout, or straight into it when there is no left/right padding (its rows are then back
        /// to back). Element by element it took 5-15% of a 64-channel 5x5 layer on 14x14.
        func padChannelsLast(_ src: UnsafePointer<Float>, count: Int, into padded: UnsafeMutablePointer<Float>) {
            let (c, h, w, wp) = (channels, height, width, paddedWidth)
            let plane = h * w
            guard c % 16 == 0 else {
                for i in 0..<count {
                    let s0 = src + i * c * plane
                    let d0 = padded + i * paddedPlane * c + (padH * wp + padW) * c
                    for y in 0..<h {
                        for x in 0..<w {
                            let d = d0 + (y * wp + x) * c, s = s0 + y * w + x
                            for ci in 0..<c { d[ci] = s[ci * plane] }
                        }
                    }
                }
                return
            }
            withUnsafeTemporaryAllocation(of: Float.self, capacity: padW == 0 ? 1 : plane * c) { scratch in
                let fullQ = plane / 16 * 16
                for i in 0..<count {
                    let s0 = src + i * c * plane
                    let d0 = padded + i * paddedPlane * c + (padH * wp + padW) * c
                    let t = padW == 0 ? d0 : scratch.baseAddress!  // [H*W, C]
                    for c0 in Swift.stride(from: 0, to: c, by: 16) {
                        for q0 in Swift.stride(from: 0, to: fullQ, by: 16) {
                            GEMM.transpose16(src: s0 + c0 * plane + q0, ld: plane, dst: t + q0 * c + c0, ldDst: c)
                        }
                        for q in fullQ..<plane {
                            for ci in c0..<(c0 + 16) { t[q * c + ci] = s0[ci * plane + q] }
                        }
                    }
                    if padW == 0 { continue }
                    for y in 0..<h { (d0 + y * wp * c).update(from: t + y * w * c, count: w * c) }
                }
            }
        }

        /// The share of the im2col product's multiply-adds whose input pixel is inside the image, not padding:
        /// (valid (y, kh) pairs / (OH * KH)) x (valid (x, kw) pairs / (OW * KW)), since rows and columns are
        /// independent. 0.69 for a 5x5 kernel on 7x7 with padding 2.
        var validTapFraction: Double {
            func axis(_ out: Int, _ kernel: Int, _ size: Int, _ pad: Int) -> Double {
                var valid = 0
                for o in 0..<out { valid += max(0, min(kernel, size + pad - o * stride) - max(0, pad - o * stride)) }
                return Double(valid) / Double(max(1, out * kernel))
            }
            return axis(outHeight, kernelHeight, height, padH) * axis(outWidth, kernelWidth, width, padW)
        }
    }

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
