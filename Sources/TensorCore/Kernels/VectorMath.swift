/// exp and SiLU on 16 floats at once (one AVX-512 register), for the hot elementwise loops: softmax,
/// attention, SiLU. `Foundation.exp` is a scalar libm call (~4 ns); this is about 20x cheaper per element.
///
/// exp(x) = 2^n * exp(r), n = round(x / ln 2), r = x - n ln 2 in [-ln2/2, ln2/2], with exp(r) from Cephes'
/// degree-7 polynomial (relative error ~1e-7, i.e. a few float ulp) and 2^n written straight into the
/// exponent bits. Inputs below -87.3 give 0; inputs above 88.7 are clamped (exp would overflow anyway).
enum VectorMath {
    typealias Vec = SIMD16<Float>

    @inline(__always)
    static func exp(_ x: Vec) -> Vec {
        let tiny = x .< Vec(repeating: -87.3)
        let xc = x.clamped(lowerBound: Vec(repeating: -87.3), upperBound: Vec(repeating: 88.7))
        // n = round(x log2(e)) via the 1.5 * 2^23 trick: adding it leaves n in the low mantissa bits.
        let magic = Vec(repeating: 12_582_912)
        let shifted = xc * Vec(repeating: 1.442_695_04) + magic
        let n = shifted - magic
        // r = x - n ln2, with ln2 split in a high and a low part for accuracy.
        var r = xc - n * Vec(repeating: 0.693_359_375)
        r = r - n * Vec(repeating: -2.121_944_4e-4)
        var p = Vec(repeating: 1.987_569_15e-4)
        p = p * r + Vec(repeating: 1.398_199_95e-3)
        p = p * r + Vec(repeating: 8.333_451_9e-3)
        p = p * r + Vec(repeating: 4.166_579_59e-2)
        p = p * r + Vec(repeating: 1.666_666_55e-1)
        p = p * r + Vec(repeating: 5.000_000_12e-1)
        p = p * (r * r) + r + Vec(repeating: 1)
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
        var sum = acc.sum()
        while i < n { out[i] = exp(x[i] - shift); sum += out[i]; i += 1 }
        return sum
    }

    /// The largest of x[0..<n] (n >= 1).
    @inline(__always)
    static func max(_ x: UnsafePointer<Float>, count n: Int) -> Float {
        var m = Vec(repeating: -.infinity)
        var i = 0
        while i + 16 <= n { m = pointwiseMax(m, load(x + i)); i += 16 }
        var result = m.max()
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

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> Vec {
        UnsafeRawPointer(p).loadUnaligned(as: Vec.self)
    }

    @inline(__always)
    static func store(_ v: Vec, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vec.self)
    }
}
