import XCTest
import TensorCore
@testable import Diffusion

/// `--accumulate K`: K micro-batches, one optimizer step. The accumulated gradient of K x 8 images equals the
/// gradient of one batch of 8K (up to float rounding), and so does the step taken with it.
final class GradientAccumulationTests: XCTestCase {
    func recipe(batchSize: Int, accumulate: Int?) -> DiffusionRecipe {
        var r = TestSupport.tinyRecipe(seed: 3)
        r.model.sampleSize = 8
        r.batchSize = batchSize
        r.accumulate = accumulate
        return r
    }

    func testFourMicroBatchesOfEightStepLikeOneBatchOfThirtyTwo() throws {
        var rng = SeededGenerator(seed: 9)
        // A fixed batch: x_t, t, eps and labels drawn once, so both runs see the same 32 examples.
        let xt = Tensor.randomNormal([32, 1, 8, 8], using: &rng), eps = Tensor.randomNormal([32, 1, 8, 8], using: &rng)
        let t = (0..<32).map { Float($0 * 3) }, labels = (0..<32).map { $0 % 10 }
        func loss(_ model: UNet2DModel, _ range: Range<Int>) -> Tensor {
            let x = xt.narrow(axis: 0, start: range.lowerBound, length: range.count)
            let e = eps.narrow(axis: 0, start: range.lowerBound, length: range.count)
            return Tensor.mseLoss(model(x, timesteps: Array(t[range]), classLabels: Array(labels[range])), e)
        }
        let whole = DiffusionTraining(recipe: recipe(batchSize: 32, accumulate: nil), stepsPerEpoch: 10)
        let split = DiffusionTraining(recipe: recipe(batchSize: 8, accumulate: 4), stepsPerEpoch: 10)
        for (a, b) in zip(whole.session.model.parameters, split.session.model.parameters) { XCTAssertEqual(a.value.scalars, b.value.scalars) }

        let lossWhole = try whole.session.train { model, _ in loss(model, 0..<32) }
        let lossSplit = try split.session.train(microBatches: 4) { model, j, _ in loss(model, j * 8..<(j + 1) * 8) }
        XCTAssertEqual(lossWhole, lossSplit, accuracy: 1e-5 * abs(lossWhole), "the recorded loss is the mean of the micro-batches'")
        XCTAssertEqual(whole.session.step, 1)
        XCTAssertEqual(split.session.step, 1, "one optimizer step for the four micro-batches")
        // The gradients are left in the parameters after the step: compare them, then the updated weights.
        // Relative to each tensor's largest, but at least 1e-3 of the largest anywhere: the key biases of attention
        // have a gradient that is exactly 0 in exact arithmetic (softmax ignores a shift shared by a query's
        // scores), so theirs is rounding noise in both runs.
        let pairs = zip(whole.session.model.namedParameters(), split.session.model.namedParameters()).map { ($0.name, $0.parameter.grad, $1.parameter.grad) }
        let global = pairs.map { $0.1?.scalars.map(abs).max() ?? 0 }.max()!
        var largest: Float = 0
        for (name, a, b) in pairs {
            let ga = try XCTUnwrap(a, name).scalars, gb = try XCTUnwrap(b, name).scalars
            let scale = max(ga.map(abs).max()!, 1e-3 * global)
            for (x, y) in zip(ga, gb) { largest = max(largest, abs(x - y) / scale) }
        }
        XCTAssertLessThan(largest, 1e-4, "accumulated gradient vs whole-batch gradient (relative to each tensor's largest)")
        // Adam's first step is about lr * sign(g): the weights agree except where a gradient is ~0.
        var same = 0, total = 0
        for (a, b) in zip(whole.session.model.parameters, split.session.model.parameters) {
            for (x, y) in zip(a.value.scalars, b.value.scalars) { total += 1; if abs(x - y) <= 1e-6 + 1e-4 * abs(x) { same += 1 } }
        }
        XCTAssertGreaterThan(Double(same) / Double(total), 0.99, "updated weights agree")

        // A different split is not the same update (the test can fail): 4 micro-batches over only the first 8.
        let other = DiffusionTraining(recipe: recipe(batchSize: 8, accumulate: 4), stepsPerEpoch: 10)
        _ = try other.session.train(microBatches: 4) { model, _, _ in loss(model, 0..<8) }
        let g0 = try XCTUnwrap(whole.session.model.parameters[0].grad).scalars, g1 = try XCTUnwrap(other.session.model.parameters[0].grad).scalars
        XCTAssertGreaterThan(zip(g0, g1).map { abs($0 - $1) }.max()!, 1e-4 * (g0.map(abs).max()! + 1e-12))
    }

    /// Through the training loop: with --accumulate 4 and --batch-size 8, an epoch of 64 images is 2 steps of 32.
    func testTheLoopTakesOneStepPerKMicroBatches() throws {
        var r = recipe(batchSize: 8, accumulate: 4)
        r.model.sampleSize = 28
        let data = MNIST(split: .train, images: [UInt8](repeating: 100, count: 64 * 784), labels: (0..<64).map { UInt8($0 % 10) },
                         rows: 28, cols: 28)
        XCTAssertEqual(r.imagesPerStep, 32)
        let training = DiffusionTraining(recipe: r, stepsPerEpoch: 64 / r.imagesPerStep)
        let epochs = try training.run(data: data, budget: TrainingBudget(epochs: 1), checkpointURL: nil)
        XCTAssertEqual(training.session.step, 2)
        XCTAssertEqual(epochs.first?.steps, 2)
        XCTAssertEqual(training.session.losses.count, 2)
    }
}
