import XCTest
@testable import TensorCore

/// GEMM.sgemm against a naive triple loop (in Double), for all transpose cases, edge sizes, alpha/beta and
/// padded leading dimensions.
final class GEMMTests: XCTestCase {
    /// Deterministic pseudo-random floats in [-1, 1).
    struct LCG {
        var state: UInt64
        mutating func next() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 2_000_001 - 1_000_000) / 1_000_000
        }
        mutating func array(_ count: Int) -> [Float] { (0..<count).map { _ in next() } }
    }

    /// Runs one sgemm case and compares every element of C (including the padding columns, which must be
    /// left untouched) with the reference.
    func check(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1, beta: Float = 0,
               padA: Int = 0, padB: Int = 0, padC: Int = 0, nanC: Bool = false, maxThreads: Int = 2,
               blocking: GEMMBlocking = .current, file: StaticString = #filePath, line: UInt = #line) {
        var rng = LCG(state: UInt64(m * 1_000_003 + n * 1009 + k * 7 + (transA ? 1 : 0) + (transB ? 2 : 0)))
        let lda = (transA ? m : k) + padA, ldb = (transB ? k : n) + padB, ldc = n + padC
        let a = rng.array(max(1, (transA ? k : m) * lda))
        let b = rng.array(max(1, (transB ? n : k) * ldb))
        var c = nanC ? [Float](repeating: .nan, count: max(1, m * ldc)) : rng.array(max(1, m * ldc))
        if nanC { for i in 0..<m { for j in n..<ldc { c[i * ldc + j] = 7 } } }  // padding must survive
        var expected = c
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for p in 0..<k {
                    let av = transA ? a[p * lda + i] : a[i * lda + p]
                    let bv = transB ? b[j * ldb + p] : b[p * ldb + j]
                    s += Double(av) * Double(bv)
                }
                let old = beta == 0 ? 0 : Double(beta) * Double(c[i * ldc + j])
                expected[i * ldc + j] = Float(Double(alpha) * s + old)
            }
        }
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    GEMM.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                               a: pa.baseAddress!, lda: lda, b: pb.baseAddress!, ldb: ldb,
                               beta: beta, c: pc.baseAddress!, ldc: ldc, maxThreads: maxThreads,
                               minFlopsPerThread: 0, blocking: blocking)
                }
            }
        }
        var worst: Float = 0
        for idx in 0..<(m * ldc) {
            let e = expected[idx], g = c[idx]
            let err = abs(e - g) / max(1, abs(e))
            if !(err <= 1e-4) { worst = .infinity; break }  // also catches NaN
            worst = max(worst, err)
        }
        XCTAssertLessThanOrEqual(worst, 1e-4, "sgemm tA=\(transA) tB=\(transB) m=\(m) n=\(n) k=\(k) "
                                 + "alpha=\(alpha) beta=\(beta) \(blocking)", file: file, line: line)
    }

    let transposes = [(false, false), (false, true), (true, false), (true, true)]

    func testOddSizesAllTransposes() {
        let shapes = [(1, 1, 1), (7, 13, 5), (6, 64, 16), (5, 17, 33), (67, 131, 29), (13, 70, 400),
                      (49, 49, 8), (1, 100, 37), (100, 1, 37), (12, 200, 17)]
        for (ta, tb) in transposes {
            for (m, n, k) in shapes {
                check(transA: ta, transB: tb, m: m, n: n, k: k)
            }
        }
    }

    func testAlphaBetaAndLeadingDimensions() {
        for (ta, tb) in transposes {
            check(transA: ta, transB: tb, m: 19, n: 37, k: 23, alpha: 0.5, beta: -1.25, padA: 3, padB: 5, padC: 2)
            check(transA: ta, transB: tb, m: 8, n: 80, k: 50, alpha: -2, beta: 1, padA: 1, padB: 16, padC: 7)
            check(transA: ta, transB: tb, m: 30, n: 65, k: 9, alpha: 1, beta: 0, padC: 3, nanC: true)
            check(transA: ta, transB: tb, m: 11, n: 37, k: 13, alpha: -0.75, beta: 0, padB: 2, nanC: true)
        }
    }

    /// Deep K (several k-blocks, so later blocks must accumulate) and large enough to use two threads, split
    /// by columns (wide N) and by rows (narrow N).
    func testMultiBlockAndThreaded() {
        for (ta, tb) in transposes {
            check(transA: ta, transB: tb, m: 40, n: 150, k: 800, beta: 0, nanC: true)
            check(transA: ta, transB: tb, m: 301, n: 20, k: 400, alpha: 1.5, beta: 0.5)
        }
        check(transA: false, transB: false, m: 300, n: 70, k: 50, maxThreads: 1)
    }

    /// The blocking only reorders the sums: every kc and mc, including ones far smaller than any machine would
    /// pick (many k-blocks and row blocks on small shapes), gives the reference product, threaded or not.
    func testAnyBlockingGivesTheSameProduct() {
        let blockings = [GEMMBlocking(kc: 1, mc: 6), GEMMBlocking(kc: 32, mc: 6), GEMMBlocking(kc: 48, mc: 12),
                         GEMMBlocking(kc: 200, mc: 90), GEMMBlocking(kc: 512, mc: 1020),
                         GEMMBlocking.derived(from: CacheSizes(l1d: 48 << 10, l2: 2 << 20)),
                         GEMMBlocking.derived(from: .fallback)]
        for blocking in blockings {
            for (ta, tb) in transposes {
                check(transA: ta, transB: tb, m: 45, n: 83, k: 130, beta: 0.5, blocking: blocking)
                check(transA: ta, transB: tb, m: 100, n: 40, k: 97, nanC: true, blocking: blocking)
            }
            check(transA: false, transB: false, m: 31, n: 150, k: 600, maxThreads: 1, blocking: blocking)
        }
    }

    func testDegenerateShapes() {
        // k == 0: C = beta * C; beta == 0 must clear NaNs.
        check(transA: false, transB: false, m: 5, n: 7, k: 0, beta: 0, nanC: true)
        check(transA: true, transB: true, m: 5, n: 7, k: 0, beta: 2)
        // alpha == 0 behaves the same way.
        check(transA: false, transB: true, m: 9, n: 3, k: 4, alpha: 0, beta: 0.5)
        // Empty C: nothing to do, must not crash.
        check(transA: false, transB: false, m: 0, n: 5, k: 3)
        check(transA: false, transB: false, m: 4, n: 0, k: 3)
    }
}
