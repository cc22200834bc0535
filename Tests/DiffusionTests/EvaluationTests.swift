import Foundation
import XCTest
import TensorCore
@testable import Diffusion

/// FID's matrix square root, the IDX export, and classifier-free guidance.
final class EvaluationTests: XCTestCase {
    func testSquareRootOfASymmetricMatrix() {
        // A random SPD matrix: B B^T + I.
        var rng = SeededGenerator(seed: 3)
        let n = 6
        let b = (0..<n).map { _ in (0..<n).map { _ in Double(rng.nextUniform()) - 0.5 } }
        var a = SymmetricMatrix.multiply(b, (0..<n).map { i in (0..<n).map { b[$0][i] } })
        for i in 0..<n { a[i][i] += 1 }
        let root = SymmetricMatrix.squareRoot(a)
        let squared = SymmetricMatrix.multiply(root, root)
        for i in 0..<n { for j in 0..<n { XCTAssertEqual(squared[i][j], a[i][j], accuracy: 1e-9) } }
    }

    func testFrechetDistanceMatchesClosedForms() {
        // Diagonal covariances: d^2 = |mu1 - mu2|^2 + sum (sqrt(a_i) - sqrt(b_i))^2.
        let a = (mean: [0.0, 1.0, 2.0], covariance: [[4.0, 0, 0], [0, 1, 0], [0, 0, 9]])
        let b = (mean: [1.0, 1.0, 0.0], covariance: [[1.0, 0, 0], [0, 1, 0], [0, 0, 4]])
        XCTAssertEqual(FrechetDistance.distance(a, b), 1 + 4 + 1 + 0 + 1, accuracy: 1e-9)
        XCTAssertEqual(FrechetDistance.distance(a, a), 0, accuracy: 1e-9)
        // Non-commuting covariances: compare with the trace of the square root computed another way,
        // Tr sqrt(S1 S2) = Tr sqrt(S2^{1/2} S1 S2^{1/2}).
        let s1 = [[2.0, 0.5], [0.5, 1.0]], s2 = [[1.0, -0.3], [-0.3, 0.5]]
        let d12 = FrechetDistance.distance((mean: [0, 0], covariance: s1), (mean: [0, 0], covariance: s2))
        let r2 = SymmetricMatrix.squareRoot(s2)
        let m = SymmetricMatrix.symmetrized(SymmetricMatrix.multiply(SymmetricMatrix.multiply(r2, s1), r2))
        let tr = SymmetricMatrix.eigenvalues(m).reduce(0) { $0 + $1.squareRoot() }
        XCTAssertEqual(d12, 2 + 1 + 1 + 0.5 - 2 * tr, accuracy: 1e-9)
    }

    func testFrechetDistanceOfSamplesGrowsWithAShift() {
        var rng = SeededGenerator(seed: 5)
        let x = Tensor.randomNormal([2000, 4], using: &rng)
        let y = Tensor.randomNormal([2000, 4], using: &rng)
        let shifted = y + 1
        XCTAssertLessThan(FrechetDistance.distance(x, y), 0.05)
        XCTAssertEqual(FrechetDistance.distance(x, shifted), 4, accuracy: 0.3)   // |mu shift|^2 = 4 * 1
    }

    func testIDXExportReadsBackAsMNIST() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("idx-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let images = Tensor(shape: [2, 1, 2, 2], scalars: [-1, 0, 1, 0.5, -2, 2, -0.999, 1])
        try IDXWriter.writeDataset(images: images, labels: [7, 3], to: dir)
        let pixels = try IDXArray(contentsOf: dir.appendingPathComponent("images-idx3-ubyte"))
        XCTAssertEqual(pixels.dimensions, [2, 2, 2])
        XCTAssertEqual(pixels.bytes, [0, 128, 255, 191, 0, 255, 0, 255])
        let labels = try IDXArray(contentsOf: dir.appendingPathComponent("labels-idx1-ubyte"))
        XCTAssertEqual(labels.dimensions, [2])
        XCTAssertEqual(labels.bytes, [7, 3])
    }

    /// One batched forward of [x; x] with [c; null] gives the same guided noise as two separate passes.
    func testGuidanceBatchesConditionalAndUnconditional() {
        var config = UNet2DConfig()
        config.blockOutChannels = [8, 16]
        config.layersPerBlock = 1
        config.downBlockTypes = [.down, .attnDown]
        config.upBlockTypes = [.attnUp, .up]
        config.normNumGroups = 4
        config.numClassEmbeds = 11
        var rng = SeededGenerator(seed: 9)
        let model = UNet2DModel(config, rng: &rng)
        model.eval()
        let x = Tensor.randomNormal([3, 1, 28, 28], using: &rng)
        let labels = [1, 7, 4]
        let w: Float = 2
        let guided = withoutGrad { ClassifierFreeGuidance(scale: w, nullClass: 10).predictNoise(model, x: x, t: 500, labels: labels) }
        let t = [Float](repeating: 500, count: 3)
        let conditional = withoutGrad { model(x, timesteps: t, classLabels: labels) }
        let unconditional = withoutGrad { model(x, timesteps: t, classLabels: [10, 10, 10]) }
        let expected = zip(conditional.scalars, unconditional.scalars).map { (1 + w) * $0 - w * $1 }
        for (g, e) in zip(guided.scalars, expected) { XCTAssertEqual(g, e, accuracy: 1e-4) }
        XCTAssertNotEqual(conditional.scalars, unconditional.scalars, "the class must change the prediction")
    }
}
