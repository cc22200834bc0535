/// The convolution to read: what every fast path in `Conv2DKernels` computes, written as plainly as it can be.
/// Slow (a few MFLOP/s), exact (sums in Double), and the yardstick every fast path is tested against
/// (`ConvKernelTests`). Explained in Chapters/01-Basic.md ("Under the hood"); the fast paths, and the plan that
/// picks one (ConvPlan.swift), in Chapters/A1-Core.md.
///
/// Shapes: input `[N, Cin, H, W]`, weight `[Cout, Cin, KH, KW]`, bias `[Cout]`, output `[N, Cout, OH, OW]` with
/// OH = (H + 2p - KH) / s + 1, all row-major. Padding is zeros outside the image.
public enum ConvReference {
    /// The direct sum:
    ///     out[n, co, y, x] = bias[co] + sum over ci, ky, kx of in[n, ci, y s + ky - p, x s + kx - p] W[co, ci, ky, kx]
    public static func forward(_ g: Conv2DGeometry, input: [Float], weight: [Float], bias: [Float]?) -> [Float] {
        var out = [Double](repeating: 0, count: g.batch * g.outChannels * g.outPlane)
        for n in 0..<g.batch {
            for co in 0..<g.outChannels {
                for y in 0..<g.outHeight {
                    for x in 0..<g.outWidth { out[g.outIndex(n, co, y, x)] = Double(bias?[co] ?? 0) }
                }
            }
        }
        g.forEachTerm { n, co, ci, y, x, ky, kx, iy, ix in
            out[g.outIndex(n, co, y, x)] += Double(input[g.inIndex(n, ci, iy, ix)]) * Double(weight[g.weightIndex(co, ci, ky, kx)])
        }
        return out.map(Float.init)
    }

    /// d loss / d input: every term of the forward sum sends gradOutput back along the weight it used,
    ///     gradIn[n, ci, iy, ix] = sum over the terms that read in[n, ci, iy, ix] of gradOut[n, co, y, x] W[co, ci, ky, kx]
    public static func backwardData(_ g: Conv2DGeometry, gradOutput: [Float], weight: [Float]) -> [Float] {
        var gradIn = [Double](repeating: 0, count: g.batch * g.inChannels * g.inPlane)
        g.forEachTerm { n, co, ci, y, x, ky, kx, iy, ix in
            gradIn[g.inIndex(n, ci, iy, ix)] += Double(gradOutput[g.outIndex(n, co, y, x)]) * Double(weight[g.weightIndex(co, ci, ky, kx)])
        }
        return gradIn.map(Float.init)
    }

    /// d loss / d weight and d loss / d bias, summed over the batch:
    ///     gradW[co, ci, ky, kx] = sum over n, y, x of gradOut[n, co, y, x] in[n, ci, y s + ky - p, x s + kx - p]
    ///     gradB[co] = sum over n, y, x of gradOut[n, co, y, x]
    public static func backwardWeight(_ g: Conv2DGeometry, input: [Float], gradOutput: [Float]) -> (weight: [Float], bias: [Float]) {
        var gradW = [Double](repeating: 0, count: g.outChannels * g.patchSize)
        var gradB = [Double](repeating: 0, count: g.outChannels)
        g.forEachTerm { n, co, ci, y, x, ky, kx, iy, ix in
            gradW[g.weightIndex(co, ci, ky, kx)] += Double(gradOutput[g.outIndex(n, co, y, x)]) * Double(input[g.inIndex(n, ci, iy, ix)])
        }
        for n in 0..<g.batch {
            for co in 0..<g.outChannels {
                for i in 0..<g.outPlane { gradB[co] += Double(gradOutput[(n * g.outChannels + co) * g.outPlane + i]) }
            }
        }
        return (gradW.map(Float.init), gradB.map(Float.init))
    }

    /// The same forward pass as a matrix product, the form the fast paths compute (ConvPaths/Im2Col.swift):
    ///     col_n[K, P] = the K = Cin KH KW input values under each of the P = OH OW output pixels (0 on padding)
    ///     out_n[Cout, P] = W[Cout, K] x col_n[K, P] + bias
    public static func forwardAsMatrixProduct(_ g: Conv2DGeometry, input: [Float], weight: [Float], bias: [Float]?) -> [Float] {
        let (k, p) = (g.patchSize, g.outPlane)
        var out = [Float](repeating: 0, count: g.batch * g.outChannels * p)
        for n in 0..<g.batch {
            var col = [Float](repeating: 0, count: k * p)   // [K, P]
            g.forEachTerm(samples: n..<n + 1) { _, co, ci, y, x, ky, kx, iy, ix in
                if co == 0 { col[((ci * g.kernelHeight + ky) * g.kernelWidth + kx) * p + y * g.outWidth + x] = input[g.inIndex(n, ci, iy, ix)] }
            }
            for co in 0..<g.outChannels {
                for j in 0..<p {
                    var sum = Double(bias?[co] ?? 0)
                    for r in 0..<k { sum += Double(weight[co * k + r]) * Double(col[r * p + j]) }
                    out[(n * g.outChannels + co) * p + j] = Float(sum)
                }
            }
        }
        return out
    }
}

extension Conv2DGeometry {
    func inIndex(_ n: Int, _ c: Int, _ y: Int, _ x: Int) -> Int { ((n * inChannels + c) * height + y) * width + x }
    func outIndex(_ n: Int, _ c: Int, _ y: Int, _ x: Int) -> Int { ((n * outChannels + c) * outHeight + y) * outWidth + x }
    func weightIndex(_ o: Int, _ c: Int, _ y: Int, _ x: Int) -> Int { ((o * inChannels + c) * kernelHeight + y) * kernelWidth + x }

    /// Calls `body(n, co, ci, y, x, ky, kx, iy, ix)` for every term of the convolution sum that reads a real
    /// input element (iy = y s + ky - p, ix = x s + kx - p inside the image); terms on the padding are zero.
    func forEachTerm(samples: Range<Int>? = nil, _ body: (Int, Int, Int, Int, Int, Int, Int, Int, Int) -> Void) {
        for n in samples ?? 0..<batch {
            for co in 0..<outChannels {
                for ci in 0..<inChannels {
                    for y in 0..<outHeight {
                        for x in 0..<outWidth {
                            for ky in 0..<kernelHeight {
                                let iy = y * stride + ky - padding
                                guard iy >= 0 && iy < height else { continue }
                                for kx in 0..<kernelWidth {
                                    let ix = x * stride + kx - padding
                                    guard ix >= 0 && ix < width else { continue }
                                    body(n, co, ci, y, x, ky, kx, iy, ix)
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
