/// exp and SiLU on 16 floats at once (one AVX-512 register), for the hot elementwise loops: softmax,
/// attention, SiLU. `Foundation.exp` is a scalar libm call (~4 ns); this is about 20x cheaper per element.
///
/// exp(x) = 2^n * exp(r), n = round(x / ln 2), r = x - n ln 2 in [-ln2/2, ln2/2], with exp(r) from Cephes'
/// degree-7 polynomial (relative error ~1e-7, i.e. a few float ulp) and 2^n written straight into the
/// exponent bits. Inputs below -87.3 give 0; inputs above 88.7 are clamped (exp would overflow anyway).
enum VectorMath {
    typealias Vec = SIMD16<Float>

    /// (Comparisons and `replacing` compile to vector compares and blends; `clamped`, `pointwiseMax` and the
    /// lane reductions `max()` / `sum()` of the standard library compile to scalar loops, so they are avoided.)
    @inline(__always)
    static func exp(_ x: Vec) -> Vec {
        let (lo, hi) = (Vec(repeating: -87.3), Vec(repeating: 88.7))
        let tiny = x .< lo
        var xc = x.replacing(with: lo, where: tiny)
        xc = xc.replacing(with: hi, where: xc .> hi)
        // n = round(x log2(e)) via the 1.5 * 2^23 trick: adding it leaves n in the low mantissa bits.
        let magic = Vec(repeating: 12_582_912)
        let shifted = magic.addingProduct(xc, Vec(repeating: 1.442_695_04))
        let n = shifted - magic
        // r = x - n ln2, with ln2 split in a high and a low part for accuracy.
        var r = xc.addingProduct(n, Vec(repeating: -0.693_359_375))
        r = r.addingProduct(n, Vec(repeating: 2.121_944_4e-4))
        var p = Vec(repeating: 1.987_569_15e-4)
        p = Vec(repeating: 1.398_199_95e-3).addingProduct(p, r)
        p = Vec(repeating: 8.333_451_9e-3).addingProduct(p, r)
        p = Vec(repeating: 4.166_579_59e-2).addingProduct(p, r)
        p = Vec(repeating: 1.666_666_55e-1).addingProduct(p, r)
        p = Vec(repeating: 5.000_000_12e-1).addingProduct(p, r)
        p = (r + Vec(repeating: 1)).addingProduct(p, r * r)
        // 2^n: n + 127 in the exponent field. The low bits of `shifted` hold n (two's complement).
        let nBits = unsafeBitCast(shifted, to: SIMD16<Int32>.self) &- unsafeBitCast(magic, to: SIMD16<Int32>.self)
        let scale = unsafeBitCast((nBits &+ 127) &<< 23, to: Vec.self)
        return (p * scale).replacing(with: 0, where: tiny)
    }

    /// exp of one float with the same formula (for loop tails, so a row gives the same values wherever it sits).
    @inline(__always)
    static func exp(_ x: Float) -> Float { exp(Vec(repeating: x))[0] }

    /// out[i] = exp(x[i] - shift) for i in 0..<n; returns the sum of the outputs (summed in a fixed order).
    @inline(__always)
    static func expShifted(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, count n: Int, shift: Float) -> Float {
        var acc = Vec()
        var i = 0
        let s = Vec(repeating: shift)
        while i + 16 <= n {
            let e = exp(load(x + i) - s)
            store(e, out + i)
            acc += e
            i += 16
        }
        var sum = horizontalSum(acc)
        while i < n { out[i] = exp(x[i] - shift); sum += out[i]; i += 1 }
        return sum
    }

    /// The largest of x[0..<n] (n >= 1).
    @inline(__always)
    static func max(_ x: UnsafePointer<Float>, count n: Int) -> Float {
        var m = Vec(repeating: -.infinity)
        var i = 0
        while i + 16 <= n { let v = load(x + i); m = m.replacing(with: v, where: v .> m); i += 16 }
        var result = horizontalMax(m)
        while i < n { result = Swift.max(result, x[i]); i += 1 }
        return result
    }

    /// silu(x) = x / (1 + exp(-x)) and its derivative s (1 + x (1 - s)), s = sigmoid(x).
    @inline(__always)
    static func silu(_ x: Vec) -> Vec { x / (1 + exp(-x)) }

    @inline(__always)
    static func siluDerivative(_ x: Vec) -> Vec {
        let s = 1 / (1 + exp(-x))
        return s * (1 + x * (1 - s))
    }

    /// Lanes added pairwise (8 + 8, 4 + 4, 2 + 2, 1 + 1): a fixed order, four vector adds.
    @inline(__always)
    static func horizontalSum(_ v: Vec) -> Float {
        let a = v.lowHalf + v.highHalf
        let b = a.lowHalf + a.highHalf
        let c = b.lowHalf + b.highHalf
        return c[0] + c[1]
    }

    @inline(__always)
    static func horizontalMax(_ v: Vec) -> Float {
        let a = v.lowHalf.replacing(with: v.highHalf, where: v.highHalf .> v.lowHalf)
        let b = a.lowHalf.replacing(with: a.highHalf, where: a.highHalf .> a.lowHalf)
        let c = b.lowHalf.replacing(with: b.highHalf, where: b.highHalf .> b.lowHalf)
        return Swift.max(c[0], c[1])
    }

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> Vec {
        UnsafeRawPointer(p).loadUnaligned(as: Vec.self)
    }

    @inline(__always)
    static func store(_ v: Vec, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vec.self)
    }
}
