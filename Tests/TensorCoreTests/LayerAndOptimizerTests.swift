import XCTest
@testable import TensorCore

/// Layers and optimizers against hand-computed values.
final class LayerAndOptimizerTests: XCTestCase {
    func testBatchNormUsesBatchStatisticsInTrainingAndRunningOnesInEval() {
        let bn = BatchNorm2d(2, momentum: 0.5)
        // Channel 0 holds 1, 3 (mean 2, biased var 1); channel 1 holds 10, 10 (mean 10, var 0).
        let x = Tensor(shape: [2, 2, 1, 1], scalars: [1, 10, 3, 10])
        let y = bn(x)
        XCTAssertEqual(y.scalars[0], -1, accuracy: 1e-4)
        XCTAssertEqual(y.scalars[2], 1, accuracy: 1e-4)
        XCTAssertEqual(y.scalars[1], 0, accuracy: 1e-4)
        // running = 0.5 * old + 0.5 * batch; the variance stored unbiased (n / (n - 1) = 2).
        XCTAssertEqual(bn.runningMean.value.scalars, [1, 5])
        XCTAssertEqual(bn.runningVar.value.scalars[0], 0.5 * 1 + 0.5 * 2, accuracy: 1e-6)
        XCTAssertEqual(bn.batchesTracked.value.item, 1)
        bn.eval()
        let z = bn(Tensor(shape: [1, 2, 1, 1], scalars: [1, 5]))
        XCTAssertEqual(z.scalars[0], (1 - 1) / (1.5 + 1e-5).squareRoot(), accuracy: 1e-5)
        XCTAssertEqual(bn.batchesTracked.value.item, 1, "eval must not update statistics")
        XCTAssertEqual(bn.stateDict().map(\.name), ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"])
    }

    func testBatchNormGradientInTrainingMode() {
        let bn = BatchNorm2d(3)
        GradientChecker().check("batchnorm", inputs: [randomTensor([4, 3, 2, 2], seed: 5)]) { bn($0[0]) }
    }

    func testDropoutZeroesAndRescalesOnlyInTraining() {
        let source = RandomSource(seed: 3)
        let dropout = Dropout(0.25, random: source)
        let y = dropout(Tensor.ones([10_000])).scalars
        let kept = y.filter { $0 != 0 }
        XCTAssertTrue(kept.allSatisfy { abs($0 - 1 / 0.75) < 1e-6 })
        XCTAssertEqual(Double(kept.count) / 10_000, 0.75, accuracy: 0.02)
        dropout.eval()
        XCTAssertEqual(dropout(Tensor.ones([5])).scalars, [1, 1, 1, 1, 1])
    }

    func testLinearAndEmbedding() {
        var rng = SeededGenerator(seed: 1)
        let linear = Linear(3, 2, rng: &rng)
        linear.weight.assign(Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6]))
        linear.bias!.assign(Tensor(shape: [2], scalars: [0.5, -1]))
        XCTAssertEqual(linear(Tensor(shape: [1, 3], scalars: [1, 0, -1])).scalars, [1 - 3 + 0.5, 4 - 6 - 1])
        XCTAssertEqual(linear(Tensor(shape: [2, 1, 3], scalars: [1, 0, -1, 0, 1, 0])).shape, [2, 1, 2])
        let embedding = Embedding(4, 2, rng: &rng)
        embedding.weight.assign(Tensor(shape: [4, 2], scalars: [0, 1, 2, 3, 4, 5, 6, 7]))
        XCTAssertEqual(embedding([3, 0]).scalars, [6, 7, 0, 1])
    }

    /// One Adam step by hand: m = 0.1 g, v = 0.001 g^2, mhat = g, vhat = g^2, theta -= lr g / (|g| + eps).
    func testAdamAndAdamWFirstStep() {
        for decoupled in [false, true] {
            let p = Parameter(Tensor(shape: [2], scalars: [1, -2]))
            let adam = decoupled ? AdamW([p], learningRate: 0.1, weightDecay: 0.5) : Adam([p], learningRate: 0.1)
            (p.value * Tensor(shape: [2], scalars: [3, 4])).sum().backward()   // g = [3, 4]
            adam.step()
            let shrink: Float = decoupled ? 1 - 0.1 * 0.5 : 1
            XCTAssertEqual(p.value.scalars[0], 1 * shrink - 0.1 * 3 / (3 + 1e-8), accuracy: 1e-6)
            XCTAssertEqual(p.value.scalars[1], -2 * shrink - 0.1 * 4 / (4 + 1e-8), accuracy: 1e-6)
        }
    }

    func testSGDWithMomentumAndOptimizerStateRoundTrip() throws {
        let p = Parameter(Tensor(shape: [1], scalars: [0]))
        let sgd = SGD([p], learningRate: 0.5, momentum: 0.9)
        for _ in 0..<2 {
            sgd.zeroGrad()
            (p.value * 2).sum().backward()   // g = 2 each step
            sgd.step()
        }
        // v1 = 2, theta1 = -1; v2 = 0.9 * 2 + 2 = 3.8, theta2 = -1 - 1.9 = -2.9
        XCTAssertEqual(p.value.item, -2.9, accuracy: 1e-6)
        let restored = SGD([Parameter(Tensor(shape: [1], scalars: [0]))], learningRate: 0.5, momentum: 0.9)
        try restored.loadState(Dictionary(uniqueKeysWithValues: sgd.stateTensors()))
        XCTAssertEqual(restored.stepCount, 2)
        XCTAssertThrowsError(try restored.loadState([:])) { XCTAssertTrue("\($0)".contains("missing tensor 'step'")) }
    }

    func testLearningRateSchedules() {
        let warm = LearningRateSchedule(.cosine, base: 1, totalSteps: 110, warmupSteps: 10)
        XCTAssertEqual(warm.rate(at: 0), 0.1, accuracy: 1e-6)
        XCTAssertEqual(warm.rate(at: 9), 1, accuracy: 1e-6)
        XCTAssertEqual(warm.rate(at: 60), 0.5, accuracy: 1e-6)   // halfway through the cosine
        XCTAssertEqual(warm.rate(at: 110), 0, accuracy: 1e-6)
        XCTAssertEqual(LearningRateSchedule(.linear, base: 2, totalSteps: 100).rate(at: 50), 1, accuracy: 1e-6)
        XCTAssertEqual(LearningRateSchedule(.constant, base: 3, totalSteps: 10).rate(at: 1000), 3)
    }

    func testEMAWarmsUpThenAverages() {
        let p = Parameter(Tensor(shape: [1], scalars: [0]))
        let ema = EMA([p], maxDecay: 0.999)
        XCTAssertEqual(ema.currentDecay, 0.1, accuracy: 1e-6)   // (1 + 0) / (10 + 0)
        p.assign(Tensor(shape: [1], scalars: [1]))
        ema.update()
        XCTAssertEqual(ema.shadow[0].item, 0.9, accuracy: 1e-6)   // 0.1 * 0 + 0.9 * 1
        let late = EMA([p], maxDecay: 0.999)
        for _ in 0..<10_000 { late.update() }
        XCTAssertEqual(late.currentDecay, 0.999, accuracy: 1e-6)
    }
}
