// The geometry every fast path works in: a convolution over zero-padded samples, with the padding given
// separately for rows and columns (the stride-1 input gradient is a convolution with padding KH-1-p and
// KW-1-p), and the padding copies (channels-first and channels-last) the paths read from.

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
}
