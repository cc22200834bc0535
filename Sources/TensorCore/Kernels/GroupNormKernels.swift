/// The loops of the fused GroupNorm (see Ops/GroupNorm.swift for the op and its math), optionally followed
/// by SiLU. Work is split over (sample, group) units: each unit reads and writes only its own channels, so
/// the units run on any core in any order and the results do not change.
///
/// x: `[N, C, L]` (L = H * W), groups of C / G consecutive channels; mean, rstd: `[N, G]`.
enum GroupNormKernels {
    typealias Vec = SIMD16<Float>

    struct Geometry {
        let samples: Int, channels: Int, groups: Int, spatial: Int
        let eps: Float
        let silu: Bool
        var channelsPerGroup: Int { channels / groups }
        var groupSize: Int { channelsPerGroup * spatial }
        var units: Int { samples * groups }
        /// (sample, group) units per chunk of work: at least ~32K elements each.
        var grain: Int { max(1, 32_768 / max(groupSize, 1)) }
    }

    struct Pointers: @unchecked Sendable {
        var x: UnsafePointer<Float>, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>
        var mean: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>
    }

    /// Forward: per (n, g): mean, rstd = 1 / sqrt(var + eps) (biased variance, two passes for accuracy);
    /// per channel c: y = x * a_c + b_c with a_c = rstd * gamma_c, b_c = beta_c - mean * a_c; then SiLU if asked.
    static func forward(_ g: Geometry, _ p: Pointers, y: UnsafeMutablePointer<Float>) {
        Parallel.forEachChunk(g.units, grain: g.grain) { units in
            for unit in units {
                let base = unit * g.groupSize
                let x = p.x + base
                let mean = sum(x, g.groupSize) / Float(g.groupSize)
                let variance = sumSquaredDeviation(x, g.groupSize, from: mean) / Float(g.groupSize)
                let rstd = 1 / (variance + g.eps).squareRoot()
                p.mean[unit] = mean
                p.rstd[unit] = rstd
                for cg in 0..<g.channelsPerGroup {
                    let c = (unit % g.groups) * g.channelsPerGroup + cg
                    let a = rstd * p.gamma[c], b = p.beta[c] - mean * a
                    let row = cg * g.spatial
                    affine(x + row, y + base + row, g.spatial, a, b, silu: g.silu)
                }
            }
        }
    }

    /// Backward (gy given). With xhat = (x - mean) rstd, y = xhat gamma_c + beta_c and gpre = gy (or gy silu'(y)):
    ///   dbeta_c = sum gpre,  dgamma_c = sum gpre xhat                          (over n and the positions of c)
    ///   dx = rstd (gamma_c gpre - A - xhat B),  A = mean_group(gamma gpre),  B = mean_group(gamma gpre xhat)
    /// `s1`, `s2`: scratch `[N, C]` for the per-(n, c) sums of gpre and gpre xhat, reduced over n at the end.
    static func backward(_ g: Geometry, _ p: Pointers, gy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>,
                         dgamma: UnsafeMutablePointer<Float>, dbeta: UnsafeMutablePointer<Float>) {
        let (n, c, cpg, l) = (g.samples, g.channels, g.channelsPerGroup, g.spatial)
        let s1 = UnsafeMutablePointer<Float>.allocate(capacity: n * c)
        let s2 = UnsafeMutablePointer<Float>.allocate(capacity: n * c)
        defer { s1.deallocate(); s2.deallocate() }
        Parallel.forEachChunk(g.units, grain: g.grain) { units in
            for unit in units {
                let base = unit * g.groupSize
                let (mean, rstd) = (p.mean[unit], p.rstd[unit])
                let firstChannel = (unit % g.groups) * cpg
                var a: Float = 0, b: Float = 0
                for cg in 0..<cpg {
                    let ch = firstChannel + cg, row = base + cg * l
                    let (g1, g2) = gradientSums(x: p.x + row, gy: gy + row, gpre: dx + row, l, mean: mean, rstd: rstd,
                                                gamma: p.gamma[ch], beta: p.beta[ch], silu: g.silu)
                    let nc = (unit / g.groups) * c + ch
                    s1[nc] = g1
                    s2[nc] = g2
                    a += p.gamma[ch] * g1
                    b += p.gamma[ch] * g2
                }
                a /= Float(g.groupSize)
                b /= Float(g.groupSize)
                for cg in 0..<cpg {
                    let row = base + cg * l
                    // dx = k1 gpre + k2 + k3 (x - mean)
                    let k1 = rstd * p.gamma[firstChannel + cg], k2 = -rstd * a, k3 = -rstd * rstd * b
                    inputGradient(x: p.x + row, gpre: dx + row, l, mean: mean, k1, k2, k3)
                }
            }
        }
        for ch in 0..<c {
            var g1: Float = 0, g2: Float = 0
            for i in 0..<n { g1 += s1[i * c + ch]; g2 += s2[i * c + ch] }
            dbeta[ch] = g1
            dgamma[ch] = g2
        }
    }

    // MARK: Row loops (16 lanes at a time, then the tail, always in the same order)

    @inline(__always)
    static func sum(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = Vec(), i = 0
        while i + 16 <= n { acc += VectorMath.load(x + i); i += 16 }
        var s = VectorMath.horizontalSum(acc)
        while i < n { s += x[i]; i += 1 }
        return s
    }

    @inline(__always)
    static func sumSquaredDeviation(_ x: UnsafePointer<Float>, _ n: Int, from mean: Float) -> Float {
        var acc = Vec(), i = 0
        let m = Vec(repeating: mean)
        while i + 16 <= n { let d = VectorMath.load(x + i) - m; acc += d * d; i += 16 }
        var s = VectorMath.horizontalSum(acc)
        while i < n { let d = x[i] - mean; s += d * d; i += 1 }
        return s
    }

    /// y = x a + b, then SiLU if asked (y must not alias x). Two loops rather than a test per vector, so each
    /// compiles to straight AVX-512 code. A row of at least 16 ends with one vector over its last 16 elements
    /// (recomputing a few, to the same values); a shorter row goes through one zero-padded vector.
    /// Kept out of line: inside the large forward closure the compiler stopped inlining SiLU, and its
    /// out-of-line copy ran in 128-bit halves.
    @inline(never)
    static func affine(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int, _ a: Float, _ b: Float, silu: Bool) {
        let (va, vb) = (Vec(repeating: a), Vec(repeating: b))
        @inline(__always) func apply(_ v: Vec) -> Vec { silu ? VectorMath.silu(v * va + vb) : v * va + vb }
        guard n >= 16 else {
            var short = Vec()
            for k in 0..<n { short[k] = x[k] }
            short = apply(short)
            for k in 0..<n { y[k] = short[k] }
            return
        }
        var i = 0
        if silu {
            while i + 16 <= n {
                let v = VectorMath.load(x + i) * va + vb
                VectorMath.store(v / (1 + VectorMath.exp(-v)), y + i)   // silu(v), written out: see above
                i += 16
            }
        } else {
            while i + 16 <= n { VectorMath.store(VectorMath.load(x + i) * va + vb, y + i); i += 16 }
        }
        if i < n { VectorMath.store(apply(VectorMath.load(x + n - 16)), y + n - 16) }
    }

    /// Writes gpre (gy, or gy silu'(y) with y rebuilt from x) and returns (sum gpre, sum gpre xhat).
    @inline(__always)
    static func gradientSums(x: UnsafePointer<Float>, gy: UnsafePointer<Float>, gpre: UnsafeMutablePointer<Float>, _ n: Int,
                             mean: Float, rstd: Float, gamma: Float, beta: Float, silu: Bool) -> (Float, Float) {
        let (vm, vr, vg, vb) = (Vec(repeating: mean), Vec(repeating: rstd), Vec(repeating: gamma), Vec(repeating: beta))
        @inline(__always) func step(_ xv: Vec, _ gv: Vec) -> (Vec, Vec) {
            let xhat = (xv - vm) * vr
            let gp = silu ? gv * VectorMath.siluDerivative(xhat * vg + vb) : gv
            return (gp, xhat)
        }
        var a1 = Vec(), a2 = Vec(), i = 0
        while i + 16 <= n {
            let (gp, xhat) = step(VectorMath.load(x + i), VectorMath.load(gy + i))
            VectorMath.store(gp, gpre + i)
            a1 += gp
            a2 += gp * xhat
            i += 16
        }
        var s1 = VectorMath.horizontalSum(a1), s2 = VectorMath.horizontalSum(a2)
        while i < n {
            let (gp, xhat) = step(Vec(repeating: x[i]), Vec(repeating: gy[i]))
            gpre[i] = gp[0]
            s1 += gp[0]
            s2 += gp[0] * xhat[0]
            i += 1
        }
        return (s1, s2)
    }

    /// In place over gpre: dx = k1 gpre + k2 + k3 (x - mean).
    @inline(__always)
    static func inputGradient(x: UnsafePointer<Float>, gpre: UnsafeMutablePointer<Float>, _ n: Int, mean: Float,
                              _ k1: Float, _ k2: Float, _ k3: Float) {
        let (vm, v1, v2, v3) = (Vec(repeating: mean), Vec(repeating: k1), Vec(repeating: k2), Vec(repeating: k3))
        var i = 0
        while i + 16 <= n {
            VectorMath.store(v1 * VectorMath.load(gpre + i) + v2 + v3 * (VectorMath.load(x + i) - vm), gpre + i)
            i += 16
        }
        while i < n { gpre[i] = k1 * gpre[i] + k2 + k3 * (x[i] - mean); i += 1 }
    }
}
