import Foundation
import XCTest
@testable import TensorCore

/// The fused primitives (attention, GroupNorm) against their composed definitions, values and gradients,
/// and against finite differences; and the parallel / vectorized loops against plain scalar loops.
final class FusedOpsTests: XCTestCase {
    let checker = GradientChecker()

    /// f(inputs) and d(sum(f * R))/d(input_i) for fixed random R.
    func valueAndGradients(_ inputs: [Tensor], seed: UInt64 = 99, _ f: ([Tensor]) -> Tensor) -> (Tensor, [Tensor]) {
        let tracked = inputs.map { $0.requiringGrad() }
        let y = f(tracked)
        var rng = SeededGenerator(seed: seed)
        (y * Tensor.randomNormal(y.shape, using: &rng)).sum().backward()
        return (y.detached, tracked.map { $0.gradient! })
    }

    func assertClose(_ a: Tensor, _ b: Tensor, tolerance: Float = 1e-5, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.shape, b.shape, what, file: file, line: line)
        let worst = zip(a.scalars, b.scalars).map { Swift.abs($0 - $1) / Swift.max(1, Swift.abs($1)) }.max() ?? 0
        XCTAssertLessThan(worst, tolerance, "\(what): largest difference \(worst)", file: file, line: line)
    }

    func testFusedAttentionEqualsComposed() {
        // B = 6 batch entries (split over both cores), T = 5 queries, S = 21 keys (a 16-lane vector and a tail).
        let q = randomTensor([6, 5, 4], seed: 1, low: -2, high: 2)
        let k = randomTensor([6, 21, 4], seed: 2, low: -2, high: 2)
        let v = randomTensor([6, 21, 3], seed: 3)
        let (fused, fusedGrads) = valueAndGradients([q, k, v]) { scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2]) }
        let (composed, composedGrads) = valueAndGradients([q, k, v]) { scaledDotProductAttentionComposed(query: $0[0], key: $0[1], value: $0[2]) }
        assertClose(fused, composed, "attention output")
        for (name, (a, b)) in zip(["dq", "dk", "dv"], zip(fusedGrads, composedGrads)) { assertClose(a, b, "attention \(name)") }
    }

    func testMultiHeadAttentionEqualsSplitAttendMerge() {
        let (n, t, s, heads, d) = (3, 6, 17, 2, 4)
        let q = randomTensor([n, t, heads * d], seed: 4, low: -2, high: 2)
        let k = randomTensor([n, s, heads * d], seed: 5, low: -2, high: 2)
        let v = randomTensor([n, s, heads * d], seed: 6)
        func split(_ x: Tensor, _ tokens: Int) -> Tensor {
            x.reshaped([n, tokens, heads, d]).permuted([0, 2, 1, 3]).reshaped([n * heads, tokens, d])
        }
        let (fused, fusedGrads) = valueAndGradients([q, k, v]) { multiHeadAttention(query: $0[0], key: $0[1], value: $0[2], heads: heads) }
        let (composed, composedGrads) = valueAndGradients([q, k, v]) { x in
            scaledDotProductAttentionComposed(query: split(x[0], t), key: split(x[1], s), value: split(x[2], s))
                .reshaped([n, heads, t, d]).permuted([0, 2, 1, 3]).reshaped([n, t, heads * d])
        }
        assertClose(fused, composed, "multi-head output")
        for (name, (a, b)) in zip(["dq", "dk", "dv"], zip(fusedGrads, composedGrads)) { assertClose(a, b, "multi-head \(name)") }
    }

    func testFusedAttentionFiniteDifferences() {
        let q = randomTensor([2, 4, 3], seed: 74), k = randomTensor([2, 5, 3], seed: 75), v = randomTensor([2, 5, 2], seed: 76)
        checker.check("fused attention", inputs: [q, k, v]) { scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2]) }
        checker.check("composed attention", inputs: [q, k, v]) { scaledDotProductAttentionComposed(query: $0[0], key: $0[1], value: $0[2]) }
        let mq = randomTensor([2, 3, 4], seed: 77), mk = randomTensor([2, 5, 4], seed: 78), mv = randomTensor([2, 5, 4], seed: 79)
        checker.check("multi-head attention", inputs: [mq, mk, mv]) { multiHeadAttention(query: $0[0], key: $0[1], value: $0[2], heads: 2) }
    }

    func composedGroupNorm(_ x: Tensor, _ w: Tensor, _ b: Tensor, groups: Int, silu: Bool) -> Tensor {
        let affine = [1, x.shape[1]] + Array(repeating: 1, count: x.rank - 2)
        let y = x.groupNormalized(groups: groups, eps: 1e-5) * w.reshaped(affine) + b.reshaped(affine)
        return silu ? y.silu() : y
    }

    func testFusedGroupNormEqualsComposed() {
        // Small (one thread, 7x7 positions: vector + tail) and large (both cores) shapes, with and without SiLU.
        for (shape, groups) in [([3, 6, 7, 7], 3), ([16, 8, 16, 16], 4), ([2, 4, 5], 2)] {
            let x = randomTensor(shape, seed: 11, low: -2, high: 3)
            let w = randomTensor([shape[1]], seed: 12, low: 0.5, high: 1.5)
            let b = randomTensor([shape[1]], seed: 13)
            for silu in [false, true] {
                let (fused, fg) = valueAndGradients([x, w, b]) { Tensor.groupNorm($0[0], weight: $0[1], bias: $0[2], groups: groups, eps: 1e-5, silu: silu) }
                let (composed, cg) = valueAndGradients([x, w, b]) { self.composedGroupNorm($0[0], $0[1], $0[2], groups: groups, silu: silu) }
                let what = "groupNorm \(shape) silu=\(silu)"
                assertClose(fused, composed, "\(what) output")
                // dgamma and dbeta sum thousands of terms in another order: compare relative to their size.
                for (name, (a, c)) in zip(["dx", "dweight", "dbias"], zip(fg, cg)) { assertClose(a, c, tolerance: 1e-4, "\(what) \(name)") }
            }
        }
    }

    func testFusedGroupNormFiniteDifferences() {
        let x = randomTensor([2, 4, 3, 3], seed: 71)
        let w = randomTensor([4], seed: 72, low: 0.5, high: 1.5), b = randomTensor([4], seed: 73)
        checker.check("groupNorm", inputs: [x, w, b]) { Tensor.groupNorm($0[0], weight: $0[1], bias: $0[2], groups: 2, eps: 1e-5) }
        checker.check("groupNorm + silu", inputs: [x, w, b]) { Tensor.groupNorm($0[0], weight: $0[1], bias: $0[2], groups: 2, eps: 1e-5, silu: true) }
    }

    func testGroupNormLayerUsesTheFusedOpAndMatchesItsDefinition() {
        let layer = GroupNorm(groups: 2, channels: 4)
        layer.weight.assign(randomTensor([4], seed: 81, low: 0.5, high: 1.5))
        layer.bias.assign(randomTensor([4], seed: 82))
        let x = randomTensor([3, 4, 5, 5], seed: 83)
        assertClose(layer(x), layer.composed(x), "GroupNorm layer")
        assertClose(layer(x, thenSiLU: true), layer.composed(x).silu(), "GroupNorm layer + SiLU")
    }

    func testVectorExpMatchesLibm() {
        var worst: Float = 0
        for i in 0..<20_000 {
            let x = -87 + Float(i) * (175.0 / 20_000)
            let ref = Foundation.exp(Double(x))
            worst = Swift.max(worst, Float(Swift.abs(Double(VectorMath.exp(x)) - ref) / ref))
        }
        XCTAssertLessThan(worst, 4e-7, "relative error of VectorMath.exp")
        XCTAssertEqual(VectorMath.exp(-Float.infinity), 0)
        XCTAssertEqual(VectorMath.exp(-100), 0)
        XCTAssertEqual(VectorMath.exp(0), 1)
    }

    /// Parallel loops must give bitwise the same results as one thread: compare large tensors (split over both
    /// cores) against scalar reference loops written here.
    func testParallelLoopsMatchScalarLoops() {
        let a = randomTensor([64, 32, 40], seed: 91, low: -3, high: 3)
        let bias = randomTensor([1, 32, 1], seed: 92)
        XCTAssertEqual((a * 2 + 1).scalars, a.scalars.map { $0 * 2 + 1 })
        let sum = (a + bias).scalars
        let expected = a.scalars.enumerated().map { i, x in x + bias.scalars[(i / 40) % 32] }
        XCTAssertEqual(sum, expected)
        // [64, 32, 40] -> [1, 32, 1] (runs share outputs) and [64, 32, 1] (one output per run).
        let perChannel = a.sumToShape([1, 32, 1]).scalars
        let perRow = a.sumToShape([64, 32, 1]).scalars
        let rows = stride(from: 0, to: a.count, by: 40).map { a.scalars[$0..<$0 + 40].reduce(0, +) }
        XCTAssertEqual(perRow, rows)
        for c in [0, 17, 31] {
            let ref = (0..<64).map { n in rows[n * 32 + c] }.reduce(0, +)
            XCTAssertEqual(perChannel[c], ref, accuracy: 1e-3)
        }
        // [N, C] -> [C]: columns split over the cores; each column summed in row order.
        let m = randomTensor([4096, 96], seed: 93)
        let cols = m.sumToShape([96]).scalars
        for c in [0, 50, 95] {
            var acc: Float = 0
            for r in 0..<4096 { acc += m.scalars[r * 96 + c] }
            XCTAssertEqual(cols[c], acc)
        }
        // Softmax rows against a scalar softmax.
        let s = randomTensor([512, 196], seed: 94, low: -5, high: 5).softmax()
        let row = Array(randomTensor([512, 196], seed: 94, low: -5, high: 5).scalars[(300 * 196)..<(301 * 196)])
        let mx = row.max()!, e = row.map { Foundation.exp($0 - mx) }, z = e.reduce(0, +)
        for j in 0..<196 { XCTAssertEqual(s.scalars[300 * 196 + j], e[j] / z, accuracy: 1e-6) }
    }

    /// The vectorized arithmetic loops (16 lanes plus a scalar tail) against scalar loops: same shapes, a
    /// repeated right operand and a repeated left operand, for each of + - * /.
    func testVectorArithmeticMatchesScalarLoops() {
        let a = randomTensor([3, 5, 37], seed: 95, low: -3, high: 3)
        let b = randomTensor([3, 5, 37], seed: 96, low: 0.5, high: 2)
        let perRow = randomTensor([3, 5, 1], seed: 97, low: 0.5, high: 2)
        let ops: [(String, (Tensor, Tensor) -> Tensor, (Float, Float) -> Float)] = [
            ("+", { $0 + $1 }, { $0 + $1 }), ("-", { $0 - $1 }, { $0 - $1 }),
            ("*", { $0 * $1 }, { $0 * $1 }), ("/", { $0 / $1 }, { $0 / $1 }),
        ]
        for (name, op, scalar) in ops {
            XCTAssertEqual(op(a, b).scalars, zip(a.scalars, b.scalars).map(scalar), "same shape \(name)")
            XCTAssertEqual(op(a, perRow).scalars, a.scalars.enumerated().map { scalar($1, perRow.scalars[$0 / 37]) },
                           "repeated right \(name)")
            XCTAssertEqual(op(perRow, a).scalars, a.scalars.enumerated().map { scalar(perRow.scalars[$0 / 37], $1) },
                           "repeated left \(name)")
        }
    }

    /// Pooling and upsampling (split over planes) against direct index arithmetic.
    func testPoolingAndUpsamplingMatchIndexArithmetic() {
        let x = randomTensor([4, 300, 6, 6], seed: 98, low: -3, high: 3)
        for factor in [2, 3] {
            let up = x.upsampleNearest(factor)
            XCTAssertEqual(up.shape, [4, 300, 6 * factor, 6 * factor])
            let (oh, ow) = (6 * factor, 6 * factor)
            for (p, y, xx) in [(0, 0, 0), (517, 5, 7), (1199, oh - 1, ow - 1)] {
                XCTAssertEqual(up.scalars[(p * oh + y) * ow + xx], x.scalars[(p * 6 + y / factor) * 6 + xx / factor])
            }
        }
        let pooled = x.maxPool2d(2).scalars
        for (p, y, xx) in [(0, 0, 0), (777, 2, 1), (1199, 2, 2)] {
            let window = [(0, 0), (0, 1), (1, 0), (1, 1)].map { x.scalars[(p * 6 + 2 * y + $0.0) * 6 + 2 * xx + $0.1] }
            XCTAssertEqual(pooled[(p * 3 + y) * 3 + xx], window.max()!)
        }
    }
}

/// Tensor memory reused through a bound `StoragePool`.
final class StoragePoolTests: XCTestCase {
    func testLargeBlocksAreReusedAndSmallOnesAreNot() {
        let pool = StoragePool()
        StoragePool.$current.withValue(pool) {
            var first: UnsafeMutablePointer<Float>?
            do {
                let t = Tensor.full([StoragePool.minimumCount], 3)
                first = t.storage.pointer
            }
            XCTAssertEqual(pool.cachedBytes, StoragePool.minimumCount * 4, "a freed large tensor waits in the pool")
            let again = Tensor.zeros([StoragePool.minimumCount])
            XCTAssertEqual(again.storage.pointer, first, "the same size gets the same block back")
            XCTAssertEqual(pool.cachedBytes, 0)
            XCTAssertEqual(again.scalars.max(), 0, "zeros are zeros even in a reused block")
            _ = Tensor.ones([16])
            XCTAssertEqual(pool.cachedBytes, 0, "small tensors bypass the pool")
        }
        // Storage from the pool goes back when freed, even after the binding ended; new storage outside it does not.
        let cached = pool.cachedBytes
        XCTAssertEqual(cached, StoragePool.minimumCount * 4)
        _ = Tensor.ones([StoragePool.minimumCount])
        XCTAssertEqual(pool.cachedBytes, cached)
    }
}
