import Foundation
import XCTest
import TensorCore
@testable import Diffusion

/// A run of exactly N optimizer steps (how chapter 5 turns minutes into a repeatable run), the timing probe
/// that picks N, and sampling in batches.
final class StepBudgetTests: XCTestCase {
    func data(_ count: Int) -> MNIST {
        var rng = SeededGenerator(seed: 3)
        return MNIST(split: .train, images: (0..<count * 784).map { _ in UInt8.random(in: 0...255, using: &rng) },
                     labels: (0..<count).map { UInt8($0 % 10) }, rows: 28, cols: 28)
    }

    /// recipe.steps = 5 stops after 5 steps though an epoch holds 8, and the learning rate decays over those 5.
    func testRecipeStepsEndTheRunAndSpanTheSchedule() throws {
        var recipe = TestSupport.tinyRecipe(seed: 1)
        recipe.steps = 5
        recipe.warmupSteps = 1
        recipe.epochs = 3
        let training = DiffusionTraining(recipe: recipe, stepsPerEpoch: 8)
        XCTAssertEqual(training.session.schedule.totalSteps, 5)
        let summaries = try training.run(data: data(64), budget: TrainingBudget(epochs: 3), checkpointURL: nil)
        XCTAssertEqual(training.session.step, 5)
        XCTAssertEqual(summaries.map(\.steps), [5])
        XCTAssertEqual(training.session.losses.count, 5)
    }

    /// Steps past one epoch: the loop runs as many epochs as it takes, and no more.
    func testBudgetStepsReachPastOneEpoch() throws {
        var recipe = TestSupport.tinyRecipe(seed: 1)
        recipe.warmupSteps = 1
        let training = DiffusionTraining(recipe: recipe, stepsPerEpoch: 4)
        let summaries = try training.run(data: data(32), budget: TrainingBudget(epochs: 1, steps: 10), checkpointURL: nil)
        XCTAssertEqual(summaries.map(\.steps), [4, 4, 2])
        XCTAssertEqual(training.session.step, 10)
    }

    func testSecondsPerStepIsMeasured() throws {
        let seconds = try DiffusionTraining.secondsPerStep(recipe: TestSupport.tinyRecipe(seed: 1), data: data(16), probe: 1)
        XCTAssertGreaterThan(seconds, 0)
        XCTAssertLessThan(seconds, 60)
        XCTAssertThrowsError(try DiffusionTraining.secondsPerStep(recipe: TestSupport.tinyRecipe(seed: 1), data: data(4))) {
            XCTAssertTrue($0 is TooFewImagesError, "\($0)")
        }
    }

    /// In batches, batch b starts from seed + its first index: the first batch is `generate` itself, and the
    /// same call twice gives the same images.
    func testGenerateInBatchesIsGenerateBatchByBatch() throws {
        let training = DiffusionTraining(recipe: TestSupport.tinyRecipe(seed: 1), stepsPerEpoch: 1)
        let trained = TrainedModel(model: training.samplingModel(), recipe: training.recipe)
        let settings = SamplingSettings(steps: 3)
        let labels = [0, 1, 2, 3, 4]
        var calls = 0
        let all = try trained.generateInBatches(labels: labels, settings: settings, seed: 7, batch: 2) { _, total in
            calls += 1
            XCTAssertEqual(total, 9)
        }
        XCTAssertEqual(all.shape, [5, 1, 28, 28])
        XCTAssertEqual(calls, 9)
        let first = try trained.generate(labels: [0, 1], settings: settings, seed: 7).images
        XCTAssertEqual(all.narrow(axis: 0, start: 0, length: 2).scalars, first.scalars)
        let last = try trained.generate(labels: [4], settings: settings, seed: 11).images
        XCTAssertEqual(all.narrow(axis: 0, start: 4, length: 1).scalars, last.scalars)
        XCTAssertEqual(try trained.generateInBatches(labels: labels, settings: settings, seed: 7, batch: 2).scalars, all.scalars)
    }
}
