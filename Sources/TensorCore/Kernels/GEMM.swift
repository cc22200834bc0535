import Foundation

/// Single-precision matrix multiply in plain Swift, fast enough to stand in for BLAS.
///
/// How it is organised (the classic Goto/BLIS scheme, simplified):
///
///     for each block of K (kc deep)                             -- C is updated once per k-block
///       for each block of rows of A (mc rows)                   -- A block packed [mc, kc], stays in L2
///         for each 64-column panel of B                         -- B panel packed [kc, 64], in L2
///           for each 6-row panel of the A block                 -- A micro-panel [kc, 6], in L1
///             micro-kernel: 6 x 64 tile of C in 24 AVX-512 registers, k loop of length kc
///
/// kc and mc come from the machine's cache sizes (GEMMBlocking.swift), or from a measurement stored for it
/// (GEMMTuning.swift); `Benchmarks --kernels` prints the ones in use.
///
/// Threads split C into independent rectangles (by columns when N is wide enough, else by rows); each thread
/// runs the loop nest above on its rectangle with its own packing buffers, so no synchronisation is needed
/// until the end. Small products run on the calling thread: waking a second core costs a few microseconds.
public enum GEMM {
    /// C[M,N] = alpha * op(A) * op(B) + beta * C, all row-major.
    /// op(A) is A[M,K] (lda >= K) or, when transA, A is stored [K,M] (lda >= M). Likewise B: [K,N] or, when
    /// transB, stored [N,K]. beta == 0 overwrites C without reading it (C may hold garbage/NaN).
    /// Uses both cores when the product is large enough.
    public static func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                             a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                             beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
              beta: beta, c: c, ldc: ldc, maxThreads: defaultThreads)
    }

    /// Same as above with an explicit thread budget: `maxThreads: 1` runs on the calling thread, which is what
    /// you want when the caller already parallelises over independent products (samples, attention heads).
    public static func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                             a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                             beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, maxThreads: Int) {
        sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
              beta: beta, c: c, ldc: ldc, maxThreads: maxThreads, minFlopsPerThread: threadWork)
    }

    /// Implementation; `minFlopsPerThread` is exposed so tests can force the threaded path on small shapes.
    static func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                      a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                      beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, maxThreads: Int,
                      minFlopsPerThread: Double, blocking: GEMMBlocking = .current) {
        precondition(m >= 0 && n >= 0 && k >= 0, "GEMM: negative dimension")
        precondition(ldc >= n && lda >= (transA ? m : k) && ldb >= (transB ? k : n), "GEMM: leading dimension too small")
        if m == 0 || n == 0 { return }
        if k == 0 || alpha == 0 {
            scale(c, ldc: ldc, m: m, n: n, by: beta)
            return
        }
        let problem = Problem(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                              a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        // One thread per `threadWork` (2 MFLOP, ~10-20 us of work on one core). Handing work to the second core
        // through ForkJoin costs microseconds while its thread spins, and if it has gone to sleep the caller
        // takes the work back, so only products smaller than that stay on one core. (The bound was 10 MFLOP
        // under DispatchQueue's sleeping pool; on the 2-core Xeon, 64x576x196, 14 MFLOP, went from ~120 to
        // 160-210 GFLOPS when it moved.)
        let flops = 2.0 * Double(m) * Double(n) * Double(k)
        let byWork = minFlopsPerThread > 0 ? Int(min(flops / minFlopsPerThread, 1024)) : maxThreads
        let threads = max(1, min(maxThreads, defaultThreads, byWork))
        if threads == 1 {
            let ws = Workspace(m: m, k: k, blocking: blocking)
            problem.compute(rows: 0..<m, cols: 0..<n, workspace: ws)
            return
        }
        let parts = problem.split(threads: threads)
        Parallel.perform(parts.count) { t in
            let ws = Workspace(m: parts[t].rows.count, k: k, blocking: blocking)
            problem.compute(rows: parts[t].rows, cols: parts[t].cols, workspace: ws)
        }
    }

    /// Least work per thread, in flops, before a product is split over the cores (see `sgemm` above).
    static let threadWork: Double = 2e6

    /// Number of cores used by the default entry point: the kernels' `Parallel.cores`, since the threads are
    /// `Parallel.perform`'s.
    static let defaultThreads = Parallel.cores

    /// K is cut into blocks of at most this depth (GEMMBlocking.current.kc).
    static var kcMax: Int { GEMMBlocking.current.kc }
    /// Rows of A packed at once, a multiple of 6 (GEMMBlocking.current.mc).
    static var mcMax: Int { GEMMBlocking.current.mc }

    /// Depth of the k-blocks: K split into equal blocks of at most kc (kc 384: 1600 -> 5 x 320, not
    /// 4 x 384 + 64).
    static func kcDepth(_ k: Int, kc: Int = kcMax) -> Int {
        let kBlocks = max(1, (k + kc - 1) / kc)
        return (k + kBlocks - 1) / kBlocks
    }

    /// The blocked loop nest, with the packing of A and B supplied by the caller, so that operands that are not
    /// plain matrices can be packed straight from their source (the convolutions pack B from the image:
    /// an "implicit" im2col, see ConvPaths/ConvImplicitIm2Col.swift).
    /// - packA(i0, rows, p0, kc, scratch): rows i0..<i0+rows, depth p0..<p0+kc of A as 6-row panels [kc, 6],
    ///   either packed into `scratch` or already packed elsewhere (`PackedA`); returns where they are
    /// - packB(p0, kc, j0, cols, dst): write depth p0..<p0+kc, columns j0..<j0+cols of B as one panel [kc, W]
    /// - c: C[M, N] with row stride ldc; only C[rows, cols] is written
    @inline(__always)
    static func blocked(rows: Range<Int>, cols: Range<Int>, k: Int, alpha: Float, beta: Float,
                        c: UnsafeMutablePointer<Float>, ldc: Int, workspace ws: Workspace,
                        packA: (Int, Int, Int, Int, UnsafeMutablePointer<Float>) -> UnsafePointer<Float>,
                        packB: (Int, Int, Int, Int, UnsafeMutablePointer<Float>) -> Void) {
        if rows.isEmpty || cols.isEmpty { return }
        let kcTarget = kcDepth(k, kc: ws.blocking.kc), mcMax = ws.blocking.mc
        var p0 = 0
        while p0 < k {
            let kc = min(kcTarget, k - p0)
            // The first k-block applies beta; later ones accumulate onto what is already in C.
            let betaBlock: Float = p0 == 0 ? beta : 1
            var i0 = rows.lowerBound
            while i0 < rows.upperBound {
                let mc = min(mcMax, rows.upperBound - i0)
                let aBlock = packA(i0, mc, p0, kc, ws.aPack)
                var j0 = cols.lowerBound
                while j0 < cols.upperBound {
                    let nc = min(nr, cols.upperBound - j0)
                    packB(p0, kc, j0, nc, ws.bPack)
                    let nv = (nc + 15) / 16
                    let fullKernel = microKernel(rows: mr, nv: nv)
                    var ir = 0
                    while ir < mc {
                        let r = min(mr, mc - ir)
                        let kernel = r == mr ? fullKernel : microKernel(rows: r, nv: nv)
                        kernel(kc, aBlock + ir * kc, ws.bPack, ws.tile)
                        storeTile(ws.tile, rows: r, cols: nc, alpha: alpha, beta: betaBlock,
                                  c: c + (i0 + ir) * ldc + j0, ldc: ldc)
                        ir += mr
                    }
                    j0 += nc
                }
                i0 += mc
            }
            p0 += kc
        }
    }

    /// op(A) packed once, in the panel order `blocked` uses, for operands reused across many products
    /// (convolution weights are multiplied with every sample's column matrix).
    /// Layout: the k-block starting at p0 (depth kc) holds ceil(M/6) panels [kc, 6] from offset p0 * mPadded.
    final class PackedA {
        let storage: UnsafeMutablePointer<Float>
        let mPadded: Int

        /// - a: op(A) is [M, K]; stored [M, K] (lda >= K) or, when `trans`, [K, M] (lda >= M)
        init(trans: Bool, a: UnsafePointer<Float>, lda: Int, m: Int, k: Int) {
            mPadded = (m + GEMM.mr - 1) / GEMM.mr * GEMM.mr
            storage = UnsafeMutableRawPointer.allocate(byteCount: max(1, mPadded * k) * 4, alignment: 64)
                .bindMemory(to: Float.self, capacity: max(1, mPadded * k))
            let kc = GEMM.kcDepth(k)
            var p0 = 0
            while p0 < k {
                let depth = min(kc, k - p0)
                GEMM.packA(trans: trans, a: a, lda: lda, i0: 0, rows: m, p0: p0, kc: depth, dst: storage + p0 * mPadded)
                p0 += depth
            }
        }

        deinit { storage.deallocate() }

        /// The panels of rows i0... (a multiple of 6) in the k-block starting at p0 of depth kc.
        func panels(i0: Int, p0: Int, kc: Int) -> UnsafePointer<Float> {
            UnsafePointer(storage + p0 * mPadded + i0 * kc)
        }
    }

    /// C = beta * C over an [m, n] block (beta == 0 writes zeros without reading).
    static func scale(_ c: UnsafeMutablePointer<Float>, ldc: Int, m: Int, n: Int, by beta: Float) {
        for i in 0..<m {
            let row = c + i * ldc
            if beta == 0 {
                row.update(repeating: 0, count: n)
            } else if beta != 1 {
                for j in 0..<n { row[j] *= beta }
            }
        }
    }

    /// Packing buffers and the accumulator tile for one thread. Allocate once and reuse across calls
    /// (the convolution kernels keep one per worker for a whole batch).
    final class Workspace {
        let aPack: UnsafeMutablePointer<Float>
        let bPack: UnsafeMutablePointer<Float>
        let tile: UnsafeMutablePointer<Float>
        /// The block sizes the loop nest uses with these buffers.
        let blocking: GEMMBlocking

        /// Sized for the largest blocks any product can use. `Workspace(m:k:)` sizes it for one product
        /// instead, which keeps small products' buffers small (cheap to allocate, no fresh pages to fault in).
        convenience init() { self.init(m: GEMM.mcMax, k: GEMM.kcMax) }

        init(m: Int, k: Int, blocking: GEMMBlocking = .current) {
            self.blocking = blocking
            func alloc(_ count: Int) -> UnsafeMutablePointer<Float> {
                UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * 4, alignment: 64)
                    .bindMemory(to: Float.self, capacity: count)
            }
            let kc = min(k, blocking.kc)  // >= kcDepth(k', kc: blocking.kc) for every k' <= k
            let mc = (min(m, blocking.mc) + GEMM.mr - 1) / GEMM.mr * GEMM.mr
            aPack = alloc(mc * kc)
            bPack = alloc(kc * GEMM.nr + 32)  // slack: implicit-im2col packing may write 32 past the end
            tile = alloc(GEMM.mr * GEMM.nr)
        }

        deinit {
            aPack.deallocate()
            bPack.deallocate()
            tile.deallocate()
        }
    }

    /// All arguments of one sgemm call. Raw pointers are not Sendable; this struct is handed to worker threads
    /// that write disjoint rectangles of C, which is what makes `@unchecked Sendable` sound here.
    struct Problem: @unchecked Sendable {
        var transA: Bool, transB: Bool
        var m: Int, n: Int, k: Int
        var alpha: Float
        var a: UnsafePointer<Float>, lda: Int
        var b: UnsafePointer<Float>, ldb: Int
        var beta: Float
        var c: UnsafeMutablePointer<Float>, ldc: Int

        /// Splits C into `threads` rectangles of about equal work. Columns are split on 16-column
        /// boundaries (one vector) when N is wide enough, otherwise rows on 6-row boundaries.
        func split(threads: Int) -> [(rows: Range<Int>, cols: Range<Int>)] {
            let colUnits = (n + 15) / 16
            let rowUnits = (m + mr - 1) / mr
            // Prefer splitting columns: each thread then packs only its own part of B, and A is small.
            if colUnits >= 4 * threads || colUnits >= rowUnits {
                let t = min(threads, colUnits)
                return (0..<t).map { i in
                    let lo = min(n, colUnits * i / t * 16), hi = min(n, colUnits * (i + 1) / t * 16)
                    return (0..<m, lo..<hi)
                }
            }
            let t = min(threads, rowUnits)
            return (0..<t).map { i in
                let lo = min(m, rowUnits * i / t * mr), hi = min(m, rowUnits * (i + 1) / t * mr)
                return (lo..<hi, 0..<n)
            }
        }

        /// Computes the rectangle C[rows, cols] with the blocked loop nest described on `GEMM`.
        func compute(rows: Range<Int>, cols: Range<Int>, workspace ws: Workspace) {
            let (ta, tb, a, lda, b, ldb) = (transA, transB, a, lda, b, ldb)
            blocked(rows: rows, cols: cols, k: k, alpha: alpha, beta: beta, c: c, ldc: ldc, workspace: ws,
                    packA: { packA(trans: ta, a: a, lda: lda, i0: $0, rows: $1, p0: $2, kc: $3, dst: $4); return UnsafePointer($4) },
                    packB: { packB(trans: tb, b: b, ldb: ldb, p0: $0, kc: $1, j0: $2, cols: $3, dst: $4) })
        }
    }
}
