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

/// Attention computed one batch entry at a time, so that the `[T, S]` score matrix only ever exists in a
/// per-thread scratch buffer (in cache), never for the whole batch: memory O(B T), not O(B T S).
/// Batch entries are independent and are split over the cores; each product is a single-threaded GEMM.
enum AttentionKernels {
    /// Raw pointers of one call, shared by the worker threads: each batch entry writes only its own rows or
    /// head columns of the outputs, which is what makes `@unchecked Sendable` sound.
    struct Pointers: @unchecked Sendable {
        var q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>
        var o: UnsafeMutablePointer<Float>
        var lse: UnsafeMutablePointer<Float>
    }

    /// S = scale * Q_b K_b^T into `scores` ([T, S], row stride S).
    @inline(__always)
    static func scores(_ g: AttentionGeometry, _ b: Int, q: UnsafePointer<Float>, k: UnsafePointer<Float>,
                       into scores: UnsafeMutablePointer<Float>) {
        GEMM.sgemm(transA: false, transB: true, m: g.queries, n: g.keys, k: g.headDim, alpha: g.scale,
                   a: q + g.qOffset(b), lda: g.ldQK, b: k + g.kOffset(b), ldb: g.ldQK,
                   beta: 0, c: scores, ldc: g.keys, maxThreads: 1)
    }

    /// Forward, per batch entry b:
    ///   S = Q K^T / sqrt(d)                                     [T, S]
    ///   P = softmax(S) row by row, stably: m_i = max_j S_ij, l_i = sum_j exp(S_ij - m_i), P_ij = exp(S_ij - m_i) / l_i
    ///   O = P V                                                 [T, dv]
    ///   lse_i = m_i + log(l_i)  (saved: backward rebuilds P_ij = exp(S_ij - lse_i) from it)
    static func forward(_ g: AttentionGeometry, _ p: Pointers) {
        Parallel.forEachChunk(g.batch, grain: 1) { range in
            let (t, s) = (g.queries, g.keys)
            let prob = UnsafeMutablePointer<Float>.allocate(capacity: t * s)
            defer { prob.deallocate() }
            for b in range {
                scores(g, b, q: p.q, k: p.k, into: prob)
                for i in 0..<t {
                    let row = prob + i * s
                    let m = VectorMath.max(row, count: s)
                    let l = VectorMath.expShifted(row, row, count: s, shift: m)
                    let inv = 1 / l
                    for j in 0..<s { row[j] *= inv }
                    p.lse[b * t + i] = m + Foundation.log(l)
                }
                GEMM.sgemm(transA: false, transB: false, m: t, n: g.valueDim, k: s, alpha: 1,
                           a: prob, lda: s, b: p.v + g.vOffset(b), ldb: g.ldVO,
                           beta: 0, c: p.o + g.oOffset(b), ldc: g.ldVO, maxThreads: 1)
            }
        }
    }

    /// Gradients (dO given; all per batch entry b, P rebuilt from the saved lse):
    ///   dV = P^T dO                                              [S, dv]
    ///   dP = dO V^T                                              [T, S]
    ///   dS = P * (dP - D),  D_i = sum_j dP_ij P_ij = sum_c dO_ic O_ic   (the softmax rule, D from O: cheaper)
    ///   dQ = dS K / sqrt(d),  dK = dS^T Q / sqrt(d)
    struct GradPointers: @unchecked Sendable {
        var dO: UnsafePointer<Float>
        var dQ: UnsafeMutablePointer<Float>, dK: UnsafeMutablePointer<Float>, dV: UnsafeMutablePointer<Float>
    }

    static func backward(_ g: AttentionGeometry, _ p: Pointers, _ d: GradPointers) {
        Parallel.forEachChunk(g.batch, grain: 1) { range in
            let (t, s, dv) = (g.queries, g.keys, g.valueDim)
            let prob = UnsafeMutablePointer<Float>.allocate(capacity: t * s)
            let dProb = UnsafeMutablePointer<Float>.allocate(capacity: t * s)
            defer { prob.deallocate(); dProb.deallocate() }
            for b in range {
                let (qo, ko, vo, oo) = (g.qOffset(b), g.kOffset(b), g.vOffset(b), g.oOffset(b))
                scores(g, b, q: p.q, k: p.k, into: prob)
                for i in 0..<t {
                    let row = prob + i * s
                    _ = VectorMath.expShifted(row, row, count: s, shift: p.lse[b * t + i])
                }
                // dV = P^T dO
                GEMM.sgemm(transA: true, transB: false, m: s, n: dv, k: t, alpha: 1,
                           a: prob, lda: s, b: d.dO + oo, ldb: g.ldVO, beta: 0, c: d.dV + vo, ldc: g.ldVO, maxThreads: 1)
                // dP = dO V^T
                GEMM.sgemm(transA: false, transB: true, m: t, n: s, k: dv, alpha: 1,
                           a: d.dO + oo, lda: g.ldVO, b: p.v + vo, ldb: g.ldVO, beta: 0, c: dProb, ldc: s, maxThreads: 1)
                // dS = P * (dP - D)
                for i in 0..<t {
                    var dot: Float = 0
                    for c in 0..<dv { dot += d.dO[oo + i * g.ldVO + c] * p.o[oo + i * g.ldVO + c] }
                    let (pr, dr) = (prob + i * s, dProb + i * s)
                    for j in 0..<s { dr[j] = pr[j] * (dr[j] - dot) }
                }
                // dQ = dS K / sqrt(d);  dK = dS^T Q / sqrt(d)
                GEMM.sgemm(transA: false, transB: false, m: t, n: g.headDim, k: s, alpha: g.scale,
                           a: dProb, lda: s, b: p.k + ko, ldb: g.ldQK, beta: 0, c: d.dQ + qo, ldc: g.ldQK, maxThreads: 1)
                GEMM.sgemm(transA: true, transB: false, m: s, n: g.headDim, k: t, alpha: g.scale,
                           a: dProb, lda: s, b: p.q + qo, ldb: g.ldQK, beta: 0, c: d.dK + ko, ldc: g.ldQK, maxThreads: 1)
            }
        }
    }
}
