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
    /// Query rows go `queryBlock` at a time: the block's rows share every vector of Kt and Vt they load.
    static func forward(_ g: AttentionGeometry, _ p: Pointers) {
        Parallel.forEachChunk(g.batch, grain: 1) { range in
            let w = Workspace(g)
            defer { w.deallocate() }
            var inverseSums = [Float](repeating: 0, count: queryBlock)
            for b in range {
                w.pack(g, b, p)
                let (qo, oo) = (g.qOffset(b), g.oOffset(b))
                for i0 in Swift.stride(from: 0, to: g.queries, by: queryBlock) {
                    let rows = min(queryBlock, g.queries - i0)
                    w.blockScores(g, queries: p.q + qo + i0 * g.ldQK, rows: rows)
                    for r in 0..<rows {
                        let row = w.row + r * w.sp
                        let m = VectorMath.max(row, count: w.sp)
                        let l = VectorMath.expShifted(row, row, count: w.sp, shift: m)
                        p.lse[b * g.queries + i0 + r] = m + Foundation.log(l)
                        inverseSums[r] = 1 / l
                    }
                    w.blockValues(g, rows: rows, inverseSums: inverseSums, into: p.o + oo + i0 * g.ldVO)
                }
            }
        }
    }

    /// Query rows per block of the forward pass (the rows of `Workspace.row`; `blockScores` and `blockValues`
    /// hold one accumulator set per row, written out for four).
    static let queryBlock = 4

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

    /// Per-thread scratch: K and V of the current batch entry, transposed and padded; rows of scores or
    /// probabilities (one in backward, a block of `queryBlock` in forward); and (backward) the transposed
    /// gradients of K and V being accumulated.
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
            row = alloc(AttentionKernels.queryBlock * sp); query = alloc(AttentionKernels.queryBlock * g.headDim)
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

        /// row[r * sp + j] = scale q_r . k_j for the block's query rows r < 4 (q_r at `queries + r * ldQK`; rows
        /// past `rows` repeat the last one), -inf for the padding keys. Per 16 keys: d loads of Kt, 4d FMAs.
        func blockScores(_ g: AttentionGeometry, queries q: UnsafePointer<Float>, rows: Int) {
            let d = g.headDim
            for r in 0..<AttentionKernels.queryBlock {
                let src = q + min(r, rows - 1) * g.ldQK
                for c in 0..<d { query[r * d + c] = g.scale * src[c] }
            }
            let (q0, q1, q2, q3) = (UnsafePointer(query), UnsafePointer(query + d), UnsafePointer(query + 2 * d), UnsafePointer(query + 3 * d))
            // 32 keys at a time where there are (eight independent sums keep both FMA units busy), then 16.
            var j = 0
            while j + 32 <= sp {
                var a0 = Vec(), a1 = Vec(), a2 = Vec(), a3 = Vec(), b0 = Vec(), b1 = Vec(), b2 = Vec(), b3 = Vec()
                var k = UnsafePointer(kt + j)  // Kt[c, j..<j+32], c = 0, 1, ...
                for c in 0..<d {
                    let (ka, kb) = (VectorMath.load(k), VectorMath.load(k + 16))
                    let (x0, x1, x2, x3) = (Vec(repeating: q0[c]), Vec(repeating: q1[c]), Vec(repeating: q2[c]), Vec(repeating: q3[c]))
                    a0 = a0.addingProduct(x0, ka); b0 = b0.addingProduct(x0, kb)
                    a1 = a1.addingProduct(x1, ka); b1 = b1.addingProduct(x1, kb)
                    a2 = a2.addingProduct(x2, ka); b2 = b2.addingProduct(x2, kb)
                    a3 = a3.addingProduct(x3, ka); b3 = b3.addingProduct(x3, kb)
                    k += sp
                }
                VectorMath.store(a0, row + j); VectorMath.store(b0, row + j + 16)
                VectorMath.store(a1, row + sp + j); VectorMath.store(b1, row + sp + j + 16)
                VectorMath.store(a2, row + 2 * sp + j); VectorMath.store(b2, row + 2 * sp + j + 16)
                VectorMath.store(a3, row + 3 * sp + j); VectorMath.store(b3, row + 3 * sp + j + 16)
                j += 32
            }
            if j < sp {
                var a0 = Vec(), a1 = Vec(), a2 = Vec(), a3 = Vec()
                var k = UnsafePointer(kt + j)
                for c in 0..<d {
                    let kv = VectorMath.load(k)
                    a0 = a0.addingProduct(Vec(repeating: q0[c]), kv)
                    a1 = a1.addingProduct(Vec(repeating: q1[c]), kv)
                    a2 = a2.addingProduct(Vec(repeating: q2[c]), kv)
                    a3 = a3.addingProduct(Vec(repeating: q3[c]), kv)
                    k += sp
                }
                VectorMath.store(a0, row + j); VectorMath.store(a1, row + sp + j)
                VectorMath.store(a2, row + 2 * sp + j); VectorMath.store(a3, row + 3 * sp + j)
            }
            for r in 0..<AttentionKernels.queryBlock { for j in g.keys..<sp { row[r * sp + j] = -.infinity } }
        }

        /// o_r[c] = (sum_j p_r[j] Vt[c, j]) / l_r for the block's first `rows` rows of probabilities (the
        /// unnormalized exp(s - m) in `row`), two value channels at a time: per 16 keys, 2 loads of Vt and 4 of
        /// the rows for 8 FMAs. o_r at `out + r * ldVO`.
        func blockValues(_ g: AttentionGeometry, rows: Int, inverseSums: [Float], into out: UnsafeMutablePointer<Float>) {
            for c0 in Swift.stride(from: 0, to: g.valueDim, by: 2) {
                let v0 = vt + c0 * sp, v1 = vt + min(c0 + 1, g.valueDim - 1) * sp
                var s = (Vec(), Vec(), Vec(), Vec(), Vec(), Vec(), Vec(), Vec())
                let (r0, r1, r2, r3) = (UnsafePointer(row), UnsafePointer(row + sp), UnsafePointer(row + 2 * sp), UnsafePointer(row + 3 * sp))
                var j = 0
                while j < sp {
                    let (x0, x1) = (VectorMath.load(v0 + j), VectorMath.load(v1 + j))
                    let (p0, p1) = (VectorMath.load(r0 + j), VectorMath.load(r1 + j))
                    let (p2, p3) = (VectorMath.load(r2 + j), VectorMath.load(r3 + j))
                    s.0 = s.0.addingProduct(p0, x0); s.1 = s.1.addingProduct(p0, x1)
                    s.2 = s.2.addingProduct(p1, x0); s.3 = s.3.addingProduct(p1, x1)
                    s.4 = s.4.addingProduct(p2, x0); s.5 = s.5.addingProduct(p2, x1)
                    s.6 = s.6.addingProduct(p3, x0); s.7 = s.7.addingProduct(p3, x1)
                    j += 16
                }
                func emit(_ r: Int, _ even: Vec, _ odd: Vec) {
                    guard r < rows else { return }
                    out[r * g.ldVO + c0] = VectorMath.horizontalSum(even) * inverseSums[r]
                    if c0 + 1 < g.valueDim { out[r * g.ldVO + c0 + 1] = VectorMath.horizontalSum(odd) * inverseSums[r] }
                }
                emit(0, s.0, s.1); emit(1, s.2, s.3); emit(2, s.4, s.5); emit(3, s.6, s.7)
            }
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
