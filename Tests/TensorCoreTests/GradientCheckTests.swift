import XCTest
@testable import TensorCore

/// Every primitive's gradient rule against finite differences, on small random shapes.
final class GradientCheckTests: XCTestCase {
    let checker = GradientChecker()

    func testBroadcastingArithmetic() {
        let a = randomTensor([2, 3, 4, 5], seed: 1)
        let perChannel = randomTensor([1, 3, 1, 1], seed: 2)
        let perSample = randomTensor([2, 1, 1, 1], seed: 3)
        let lastAxis = randomTensor([5], seed: 4)
        checker.check("add", inputs: [a, perChannel]) { $0[0] + $0[1] }
        checker.check("sub", inputs: [perSample, a]) { $0[0] - $0[1] }
        checker.check("mul", inputs: [a, lastAxis]) { $0[0] * $0[1] }
        checker.check("div", inputs: [a, randomTensor([1, 3, 1, 1], seed: 5, low: 0.5, high: 2)]) { $0[0] / $0[1] }
        checker.check("scalar ops", inputs: [a]) { ($0[0] * 3 + 1) / 2 - 0.5 }
    }

    func testUnaryAndActivations() {
        let x = randomTensor([3, 7], seed: 11, low: -2, high: 2)
        let positive = randomTensor([3, 7], seed: 12, low: 0.5, high: 2)
        checker.check("exp", inputs: [x]) { $0[0].exp() }
        checker.check("log", inputs: [positive]) { $0[0].log() }
        checker.check("sqrt", inputs: [positive]) { $0[0].sqrt() }
        checker.check("pow", inputs: [positive]) { $0[0].pow(1.5) }
        checker.check("squared", inputs: [x]) { $0[0].squared() }
        checker.check("abs", inputs: [positive - 1.25]) { $0[0].abs() }
        checker.check("relu", inputs: [positive - 1.25]) { $0[0].relu() }
        checker.check("silu", inputs: [x]) { $0[0].silu() }
        checker.check("gelu", inputs: [x]) { $0[0].gelu() }
        checker.check("sigmoid", inputs: [x]) { $0[0].sigmoid() }
        checker.check("tanh", inputs: [x]) { $0[0].tanh() }
    }

    func testReductionsAndSoftmax() {
        let x = randomTensor([2, 3, 4], seed: 21)
        checker.check("sum", inputs: [x]) { $0[0].sum() }
        checker.check("mean", inputs: [x]) { $0[0].mean() }
        checker.check("sum axes 0,2", inputs: [x]) { $0[0].sum(axes: [0, 2]) }
        checker.check("mean axis -1 keepDims", inputs: [x]) { $0[0].mean(axes: [-1], keepDims: true) }
        checker.check("softmax", inputs: [x]) { $0[0].softmax() }
        checker.check("logSoftmax", inputs: [x]) { $0[0].logSoftmax() }
    }

    func testShapeOps() {
        let x = randomTensor([2, 3, 4], seed: 31)
        let y = randomTensor([2, 2, 4], seed: 32)
        checker.check("reshape", inputs: [x]) { $0[0].reshaped([6, -1]) * randomTensor([6, 4], seed: 33) }
        checker.check("permute", inputs: [x]) { $0[0].permuted([2, 0, 1]) }
        checker.check("transpose", inputs: [x]) { $0[0].transposed(0, 2) }
        checker.check("concat", inputs: [x, y]) { Tensor.concat([$0[0], $0[1]], axis: 1) }
        checker.check("narrow", inputs: [x]) { $0[0].narrow(axis: 1, start: 1, length: 2) }
        checker.check("gather", inputs: [randomTensor([5, 3], seed: 34)]) { Tensor.gather($0[0], rows: [4, 0, 4, 2]) }
    }

    func testMatmulAllTransposes() {
        for transposeA in [false, true] {
            for transposeB in [false, true] {
                let a = randomTensor(transposeA ? [4, 3] : [3, 4], seed: 41)
                let b = randomTensor(transposeB ? [5, 4] : [4, 5], seed: 42)
                checker.check("matmul tA=\(transposeA) tB=\(transposeB)", inputs: [a, b]) {
                    Tensor.matmul($0[0], $0[1], transposeA: transposeA, transposeB: transposeB)
                }
            }
        }
        let qa = randomTensor([2, 3, 4], seed: 43), qb = randomTensor([2, 5, 4], seed: 44)
        checker.check("batched matmul", inputs: [qa, qb]) { Tensor.matmul($0[0], $0[1], transposeB: true) }
    }

    func testConvolutions() {
        for (stride, padding, k) in [(1, 1, 3), (2, 1, 3), (1, 2, 5), (1, 0, 1), (2, 0, 2)] {
            let x = randomTensor([2, 3, 6, 6], seed: 51)
            let w = randomTensor([4, 3, k, k], seed: 52)
            let b = randomTensor([4], seed: 53)
            checker.check("conv2d s\(stride) p\(padding) k\(k)", inputs: [x, w, b]) {
                Tensor.conv2d($0[0], weight: $0[1], bias: $0[2], stride: stride, padding: padding)
            }
        }
        let x = randomTensor([2, 4, 3, 3], seed: 54)
        let w = randomTensor([4, 2, 2, 2], seed: 55)
        checker.check("convTranspose2d s2", inputs: [x, w, randomTensor([2], seed: 56)]) {
            Tensor.convTranspose2d($0[0], weight: $0[1], bias: $0[2], stride: 2)
        }
        checker.check("convTranspose2d s1 p1 k3", inputs: [x, randomTensor([4, 3, 3, 3], seed: 57)]) {
            Tensor.convTranspose2d($0[0], weight: $0[1], stride: 1, padding: 1)
        }
    }

    func testPoolingAndUpsampling() {
        let x = randomTensor([2, 3, 4, 6], seed: 61)
        // Max-pool is not differentiable at ties: use distinct values spaced well beyond the step h.
        var order = Array(0..<x.count)
        var rng = SeededGenerator(seed: 62)
        order.seededShuffle(using: &rng)
        let spaced = Tensor(shape: x.shape, scalars: order.map { Float($0) * 0.05 - 3 })
        checker.check("maxPool2d", inputs: [spaced]) { $0[0].maxPool2d(2) }
        checker.check("avgPool2d", inputs: [x]) { $0[0].avgPool2d(2) }
        checker.check("upsampleNearest", inputs: [x]) { $0[0].upsampleNearest(2) }
    }

    func testNormalizationAndLosses() {
        let x = randomTensor([2, 4, 3, 3], seed: 71)
        checker.check("groupNormalized", inputs: [x]) { $0[0].groupNormalized(groups: 2, eps: 1e-5) }
        let target = randomTensor([2, 4, 3, 3], seed: 72)
        checker.check("mse", inputs: [x, target]) { Tensor.mseLoss($0[0], $0[1]) }
        // |d| has a kink at 0: keep every difference at least 0.1 away from it.
        let offsets = Tensor(shape: x.shape, scalars: randomTensor(x.shape, seed: 77).scalars.map { $0 < 0 ? $0 - 0.1 : $0 + 0.1 })
        checker.check("l1", inputs: [x]) { Tensor.l1Loss($0[0], x + offsets) }
        checker.check("crossEntropy", inputs: [randomTensor([3, 5], seed: 73)]) { Tensor.crossEntropy($0[0], labels: [1, 4, 0]) }
        let q = randomTensor([2, 4, 3], seed: 74), k = randomTensor([2, 5, 3], seed: 75), v = randomTensor([2, 5, 2], seed: 76)
        checker.check("attention", inputs: [q, k, v]) { scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2]) }
    }

    /// The checker itself must be able to fail: a deliberately wrong rule is caught.
    func testCheckerCatchesAWrongGradient() {
        let x = randomTensor([4], seed: 81)
        // Forward x^2 but pretend its derivative is -2x.
        let wrongSquare: ([Tensor]) -> Tensor = { xs in
            let v = xs[0]
            let out = unaryMap(v) { $0 * $0 }
            return Tensor.record("wrong", inputs: [v], output: out) { g in [broadcastBinary(g, v.detached) { -2 * $0 * $1 }] }
        }
        XCTAssertNotNil(checker.firstMismatch("deliberately wrong", inputs: [x], wrongSquare))
        // ...and a transposed index too: y = x[permuted] with the gradient sent back unpermuted.
        let wrongReverse: ([Tensor]) -> Tensor = { xs in
            let v = xs[0]
            let out = Tensor(shape: [4], scalars: v.scalars.reversed())
            return Tensor.record("wrong", inputs: [v], output: out) { g in [g] }
        }
        XCTAssertNotNil(checker.firstMismatch("transposed index", inputs: [x], wrongReverse))
    }
}
