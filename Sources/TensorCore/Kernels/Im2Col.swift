// im2col / col2im: turning a convolution into a matrix multiply.
//
// For one sample, the "column matrix" has one row per weight position (c, kh, kw) and one column per output
// pixel (oh, ow):
//
//     col[(c * KH + kh) * KW + kw, oh * OW + ow] = input[c, oh * s - p + kh, ow * s - p + kw]   (0 outside)
//
// so that the convolution is the product   out[Cout, OH*OW] = weight[Cout, Cin*KH*KW] x col[Cin*KH*KW, OH*OW].
//
// Each row of `col` is the input plane of channel c shifted by (kh - p, kw - p) and subsampled by the stride:
// for stride 1 it is made of contiguous copies of input rows plus zeros at the borders, which is why the copy
// loops below work row by row rather than element by element.
//
// col2im is the adjoint (transpose) of im2col: it scatters-and-adds every entry of a column matrix back to the
// input position it was read from. It turns dcol = weight^T x dout into the input gradient.

extension Conv2DKernels {
    /// For output column `ow`, the input column is ow * s - p + kw. Returns the range of ow for which it lies
    /// inside [0, W): the columns that copy data; the others are padding zeros.
    @inline(__always)
    static func validOutputRange(offset: Int, stride s: Int, inSize: Int, outSize: Int) -> Range<Int> {
        // need 0 <= ow * s + offset <= inSize - 1
        let lo = offset >= 0 ? 0 : (-offset + s - 1) / s
        let hiInclusive = inSize - 1 - offset
        let hi = hiInclusive < 0 ? 0 : min(outSize, hiInclusive / s + 1)
        return lo..<max(lo, hi)
    }

    /// Writes the column matrix of one sample.
    /// - input: [Cin, H, W] (one sample)
    /// - col:   [Cin * KH * KW, OH * OW] with row stride `ldCol` >= OH * OW (several samples can share one
    ///          wide column matrix side by side, each starting at its own column offset)
    static func im2col(_ g: Conv2DGeometry, input: UnsafePointer<Float>, col: UnsafeMutablePointer<Float>, ldCol: Int) {
        let (h, w, oh, ow, s, p) = (g.height, g.width, g.outHeight, g.outWidth, g.stride, g.padding)
        for c in 0..<g.inChannels {
            let plane = input + c * h * w
            for kh in 0..<g.kernelHeight {
                for kw in 0..<g.kernelWidth {
                    let row = col + ((c * g.kernelHeight + kh) * g.kernelWidth + kw) * ldCol
                    let cols = validOutputRange(offset: kw - p, stride: s, inSize: w, outSize: ow)
                    for y in 0..<oh {
                        let out = row + y * ow
                        let iy = y * s - p + kh
                        if iy < 0 || iy >= h {
                            out.update(repeating: 0, count: ow)
                            continue
                        }
                        let src = plane + iy * w + (kw - p)  // src[x * s] is input column x * s - p + kw
                        if cols.lowerBound > 0 { out.update(repeating: 0, count: cols.lowerBound) }
                        if s == 1 {
                            (out + cols.lowerBound).update(from: src + cols.lowerBound, count: cols.count)
                        } else {
                            for x in cols { out[x] = src[x * s] }
                        }
                        if cols.upperBound < ow {
                            (out + cols.upperBound).update(repeating: 0, count: ow - cols.upperBound)
                        }
                    }
                }
            }
        }
    }

    /// Sums the column matrix of one sample back into input positions (the adjoint of `im2col`).
    /// - col:       [Cin * KH * KW, OH * OW] with row stride `ldCol`
    /// - gradInput: [Cin, H, W] (one sample), overwritten
    static func col2im(_ g: Conv2DGeometry, col: UnsafePointer<Float>, ldCol: Int, gradInput: UnsafeMutablePointer<Float>) {
        let (h, w, oh, ow, s, p) = (g.height, g.width, g.outHeight, g.outWidth, g.stride, g.padding)
        gradInput.update(repeating: 0, count: g.inChannels * h * w)
        for c in 0..<g.inChannels {
            // All KH*KW rows of channel c land on the same [H, W] plane, which stays in L1 meanwhile.
            let plane = gradInput + c * h * w
            for kh in 0..<g.kernelHeight {
                for kw in 0..<g.kernelWidth {
                    let row = col + ((c * g.kernelHeight + kh) * g.kernelWidth + kw) * ldCol
                    let cols = validOutputRange(offset: kw - p, stride: s, inSize: w, outSize: ow)
                    let rows = validOutputRange(offset: kh - p, stride: s, inSize: h, outSize: oh)
                    for y in rows {
                        let dst = plane + (y * s - p + kh) * w + (kw - p)
                        let src = row + y * ow
                        if s == 1 {
                            addRow(dst + cols.lowerBound, src + cols.lowerBound, count: cols.count)
                        } else {
                            for x in cols { dst[x * s] += src[x] }
                        }
                    }
                }
            }
        }
    }

    /// dst[0..<count] += src[0..<count], 16 lanes at a time.
    @inline(__always)
    static func addRow(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, count: Int) {
        var i = 0
        while i + 16 <= count {
            GEMM.store(GEMM.load(dst + i) + GEMM.load(src + i), dst + i)
            i += 16
        }
        while i < count {
            dst[i] += src[i]
            i += 1
        }
    }
}
