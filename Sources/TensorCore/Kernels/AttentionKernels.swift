import Foundation

/// The shapes of one fused attention call, and where each batch entry's matrices sit in memory.
///
/// Batch entry b is head `b % heads` of sample `b / heads`. Tokens are rows; a head's channels are a column
/// block of its row. So q: `[N, T, heads * d]`, k: `[N, S, heads * d]`, v: `[N, S, heads * dv]`,
/// o: `[N, T, heads * dv]`: with heads == 1 that is the plain `[B, T, d]` layout, and with heads > 1 it is
/// the output of a Linear layer, read head by head without a permute.
struct AttentionGeometry {
    let samples: Int, heads: Int
    let queries: Int, keys: Int       // T, S
    let headDim: Int, valueDim: Int   // d, dv
    var batch: Int { samples * heads }
    var scale: Float { 1 / Float(headDim).squareRoot() }
    /// Elements between consecutive tokens of q and k (ldQK), and of v and o (ldVO).
    var ldQK: Int { heads * headDim }
    var ldVO: Int { heads * valueDim }
    func qOffset(_ b: Int) -> Int { (b / heads) * queries * ldQK + (b % heads) * headDim }
    func kOffset(_ b: Int) -> Int { (b / heads) * keys * ldQK + (b % heads) * headDim }
    func vOffset(_ b: Int) -> Int { (b / heads) * keys * ldVO + (b % heads) * valueDim }
    func oOffset(_ b: Int) -> Int { (b / heads) * queries * ldVO + (b % heads) * valueDim }
}

/// Attention computed one batch entry at a time, one query row at a time, so that scores and probabilities
/// only ever exist as a single row in a per-thread scratch buffer (in L1), never for the whole batch:
/// memory O(B T), not O(B T S). Batch entries are independent and are split over the cores.
///
/// Heads are small (d = 8 in the course models), so instead of general GEMMs (whose packing and tile
/// overheads dominate at k = 8) each row is computed with 16-lane loops over the keys, against K and V
/// packed per batch entry as `Kt [d, Sp]` and `Vt [dv, Sp]` (transposed, keys padded with zeros to Sp, a
/// multiple of 16; padded scores are set to -inf so their probability is exactly 0).
enum AttentionKernels {
    typealias Vec = SIMD16<Float>

    /// Raw pointers of one call, shared by the worker threads: each batch entry writes only its own rows or
    /// head columns of the outputs, which is what makes `@unchecked Sendable` sound.
    struct Pointers: @unchecked Sendable {
        var q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>
        var o: UnsafeMutablePointer<Float>
        var lse: UnsafeMutablePointer<Float>
    }

    struct GradPointers: @unchecked Sendable {
        var dO: UnsafePointer<Float>
        var dQ: UnsafeMutablePointer<Float>, dK: UnsafeMutablePointer<Float>, dV: UnsafeMutablePointer<Float>
    }

    /// Forward, per batch entry b and query row i:
    ///   s_j = q_i . k_j / sqrt(d)                                       (j < S)
    ///   m = max_j s_j,  l = sum_j exp(s_j - m),  p_j = exp(s_j - m) / l  (softmax, stably)
    ///   o_i = sum_j p_j v_j
    ///   lse_i = m + log(l)   (saved: backward rebuilds p_j = exp(s_j - lse_i) from it)
    static func forward(_ g: AttentionGeometry, _ p: Pointers) {
        Parallel.forEachChunk(g.batch, grain: 1) { range in
            let w = Workspace(g)
            defer { w.deallocate() }
            for b in range {
                w.pack(g, b, p)
                let (qo, oo) = (g.qOffset(b), g.oOffset(b))
                for i in 0..<g.queries {
                    w.scores(g, query: p.q + qo + i * g.ldQK)
                    let m = VectorMath.max(w.row, count: w.sp)
                    let l = VectorMath.expShifted(w.row, w.row, count: w.sp, shift: m)
                    p.lse[b * g.queries + i] = m + Foundation.log(l)
                    let inv = 1 / l
                    let o = p.o + oo + i * g.ldVO
                    for c in 0..<g.valueDim { o[c] = dot(w.row, w.vt + c * w.sp, w.sp) * inv }
                }
            }
        }
    }

    /// Backward, per batch entry b and query row i (dO given, p_j rebuilt from lse_i):
    ///   dv_j += p_j dO_i                                      (dV = P^T dO)
    ///   dp_j = dO_i . v_j                                     (dP = dO V^T)
    ///   ds_j = p_j (dp_j - D_i),  D_i = sum_j p_j dp_j = dO_i . o_i     (the softmax rule; D from O is cheaper)
    ///   dq_i = sum_j ds_j k_j / sqrt(d),  dk_j += ds_j q_i / sqrt(d)
    static func backward(_ g: AttentionGeometry, _ p: Pointers, _ d: GradPointers) {
        Parallel.forEachChunk(g.batch, grain: 1) { range in
            let w = Workspace(g)
            defer { w.deallocate() }
            let ds = UnsafeMutablePointer<Float>.allocate(capacity: w.sp)
            let coef = UnsafeMutablePointer<Float>.allocate(capacity: max(g.headDim, g.valueDim))
            defer { ds.deallocate(); coef.deallocate() }
            for b in range {
                w.pack(g, b, p)
                w.dkt.update(repeating: 0, count: g.headDim * w.sp)
                w.dvt.update(repeating: 0, count: g.valueDim * w.sp)
                let (qo, oo) = (g.qOffset(b), g.oOffset(b))
                for i in 0..<g.queries {
                    let (q, o, dO) = (p.q + qo + i * g.ldQK, p.o + oo + i * g.ldVO, d.dO + oo + i * g.ldVO)
                    w.scores(g, query: q)
                    _ = VectorMath.expShifted(w.row, w.row, count: w.sp, shift: p.lse[b * g.queries + i])
                    var dotOut: Float = 0
                    for c in 0..<g.valueDim { dotOut += dO[c] * o[c] }
                    // dV^T += dO_i^T p;  dp = dO_i Vt;  ds = p (dp - D_i)
                    addOuter(dO, w.row, into: w.dvt, rows: g.valueDim, w.sp)
                    combine(dO, w.vt, rows: g.valueDim, w.sp, into: ds)
                    let vd = Vec(repeating: dotOut)
                    var j = 0
                    while j < w.sp {
                        VectorMath.store(VectorMath.load(w.row + j) * (VectorMath.load(ds + j) - vd), ds + j)
                        j += 16
                    }
                    // dq_i = scale ds Kt^T;  dK^T += (scale q_i)^T ds
                    let dq = d.dQ + qo + i * g.ldQK
                    for c in 0..<g.headDim { dq[c] = g.scale * dot(ds, w.kt + c * w.sp, w.sp) }
                    for c in 0..<g.headDim { coef[c] = g.scale * q[c] }
                    addOuter(coef, ds, into: w.dkt, rows: g.headDim, w.sp)
                }
                let (ko, vo) = (g.kOffset(b), g.vOffset(b))
                for j in 0..<g.keys {
                    for c in 0..<g.headDim { d.dK[ko + j * g.ldQK + c] = w.dkt[c * w.sp + j] }
                    for c in 0..<g.valueDim { d.dV[vo + j * g.ldVO + c] = w.dvt[c * w.sp + j] }
                }
            }
        }
    }

    /// Per-thread scratch: K and V of the current batch entry, transposed and padded; one row of scores or
    /// probabilities; and (backward) the transposed gradients of K and V being accumulated.
    struct Workspace {
        let sp: Int
        let kt: UnsafeMutablePointer<Float>, vt: UnsafeMutablePointer<Float>
        let dkt: UnsafeMutablePointer<Float>, dvt: UnsafeMutablePointer<Float>
        let row: UnsafeMutablePointer<Float>
        let query: UnsafeMutablePointer<Float>

        init(_ g: AttentionGeometry) {
            sp = (g.keys + 15) / 16 * 16
            func alloc(_ n: Int) -> UnsafeMutablePointer<Float> {
                UnsafeMutableRawPointer.allocate(byteCount: max(n, 1) * 4, alignment: 64).bindMemory(to: Float.self, capacity: max(n, 1))
            }
            kt = alloc(g.headDim * sp); vt = alloc(g.valueDim * sp)
            dkt = alloc(g.headDim * sp); dvt = alloc(g.valueDim * sp)
            row = alloc(sp); query = alloc(g.headDim)
        }

        func deallocate() { for p in [kt, vt, dkt, dvt, row, query] { p.deallocate() } }

        /// Kt[c, j] = k_b[j, c], Vt[c, j] = v_b[j, c]; zeros for the padding keys S..<Sp.
        func pack(_ g: AttentionGeometry, _ b: Int, _ p: Pointers) {
            let (k, v) = (p.k + g.kOffset(b), p.v + g.vOffset(b))
            for c in 0..<g.headDim {
                for j in 0..<g.keys { kt[c * sp + j] = k[j * g.ldQK + c] }
                for j in g.keys..<sp { kt[c * sp + j] = 0 }
            }
            for c in 0..<g.valueDim {
                for j in 0..<g.keys { vt[c * sp + j] = v[j * g.ldVO + c] }
                for j in g.keys..<sp { vt[c * sp + j] = 0 }
            }
        }

        /// row[j] = scale q . k_j for j < S, -inf for the padding.
        func scores(_ g: AttentionGeometry, query q: UnsafePointer<Float>) {
            for c in 0..<g.headDim { query[c] = g.scale * q[c] }
            combine(query, kt, rows: g.headDim, sp, into: row)
            for j in g.keys..<sp { row[j] = -.infinity }
        }
    }

    // MARK: Row loops (n a multiple of 16)

    /// out[j] = sum_c coef[c] m[c, j] for j < n  (a row vector times an [rows, n] matrix).
    @inline(__always)
    static func combine(_ coef: UnsafePointer<Float>, _ m: UnsafePointer<Float>, rows: Int, _ n: Int, into out: UnsafeMutablePointer<Float>) {
        var j = 0
        while j + 64 <= n {
            var a0 = Vec(), a1 = Vec(), a2 = Vec(), a3 = Vec()
            for c in 0..<rows {
                let x = Vec(repeating: coef[c]), r = m + c * n + j
                a0 = a0.addingProduct(x, VectorMath.load(r)); a1 = a1.addingProduct(x, VectorMath.load(r + 16))
                a2 = a2.addingProduct(x, VectorMath.load(r + 32)); a3 = a3.addingProduct(x, VectorMath.load(r + 48))
            }
            VectorMath.store(a0, out + j); VectorMath.store(a1, out + j + 16)
            VectorMath.store(a2, out + j + 32); VectorMath.store(a3, out + j + 48)
            j += 64
        }
        while j < n {
            var a = Vec()
            for c in 0..<rows { a = a.addingProduct(Vec(repeating: coef[c]), VectorMath.load(m + c * n + j)) }
            VectorMath.store(a, out + j)
            j += 16
        }
    }

    /// m[c, j] += coef[c] x[j]  (an outer product added into an [rows, n] matrix).
    @inline(__always)
    static func addOuter(_ coef: UnsafePointer<Float>, _ x: UnsafePointer<Float>, into m: UnsafeMutablePointer<Float>, rows: Int, _ n: Int) {
        for c in 0..<rows {
            let a = Vec(repeating: coef[c]), r = m + c * n
            var j = 0
            while j < n { VectorMath.store(VectorMath.load(r + j).addingProduct(a, VectorMath.load(x + j)), r + j); j += 16 }
        }
    }

    /// sum_j x[j] y[j].
    @inline(__always)
    static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ n: Int) -> Float {
        var a0 = Vec(), a1 = Vec(), j = 0
        while j + 32 <= n {
            a0 = a0.addingProduct(VectorMath.load(x + j), VectorMath.load(y + j))
            a1 = a1.addingProduct(VectorMath.load(x + j + 16), VectorMath.load(y + j + 16))
            j += 32
        }
        if j < n { a0 = a0.addingProduct(VectorMath.load(x + j), VectorMath.load(y + j)) }
        return VectorMath.horizontalSum(a0 + a1)
    }
}
