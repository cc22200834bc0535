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

    /// A plan of 1,000 steps in 100 s on a machine that turns out to take 0.2 s a step: at step 50 (10 s in)
    /// the 90 s left hold 450 more steps. Revisions come only every `every` steps, and stop at the deadline.
    func testTimeBudgetPlanFollowsThePace() {
        var plan = TimeBudgetPlan(total: 1000, startStep: 0, start: 0, seconds: 100, every: 50)
        XCTAssertNil(plan.revise(step: 49, now: 9.8), "not yet time to revise")
        XCTAssertEqual(plan.revise(step: 50, now: 10), 500)
        XCTAssertEqual(plan.total, 500)
        XCTAssertNil(plan.revise(step: 75, now: 15), "between revisions")
        XCTAssertNil(plan.revise(step: 100, now: 20), "same pace, same plan")
        // Faster now: 0.1 s a step on average over the whole run (200 steps in 20 s); 80 s left hold 800 more.
        XCTAssertEqual(plan.revise(step: 200, now: 20), 1000)
        // Just before the deadline the plan never drops below one more step.
        XCTAssertEqual(plan.revise(step: 1000, now: 99.99), 1001)
        XCTAssertNil(plan.revise(step: 1050, now: 100), "at the deadline the deadline decides")
        // A resumed run counts its pace from where it resumed.
        var resumed = TimeBudgetPlan(total: 2000, startStep: 1000, start: 0, seconds: 60, every: 10)
        XCTAssertEqual(resumed.revise(step: 1010, now: 1), 1600)
    }

    /// A revision reaches the learning-rate schedule and the recipe a checkpoint saves.
    func testRevisedPlanSpansTheScheduleAndIsSaved() throws {
        var recipe = TestSupport.tinyRecipe(seed: 1)
        recipe.steps = 100
        recipe.warmupSteps = 1
        let training = DiffusionTraining(recipe: recipe, stepsPerEpoch: 8)
        training.revisePlan(totalSteps: 40)
        XCTAssertEqual(training.session.schedule.totalSteps, 40)
        XCTAssertEqual(training.recipe.steps, 40)
        let saved = try DiffusionRecipe.from(json: try XCTUnwrap(training.checkpoint().metadata["recipe"]), source: "checkpoint")
        XCTAssertEqual(saved.steps, 40)
        // The schedule reaches its floor at the revised end: lr(39) is the last step's, at 5% of the peak.
        XCTAssertEqual(training.session.schedule.rate(at: 40), recipe.learningRate * 0.05, accuracy: 1e-9)
        XCTAssertGreaterThan(training.session.schedule.rate(at: 20), recipe.learningRate * 0.4)
    }

    /// A time-planned run whose plan is far too long for its deadline ends at the deadline with the plan
    /// revised down to the steps it took. The clock is the test's: every reading advances it by 0.25 s, so the
    /// run is the same however fast the machine is.
    func testPlannedRunEndsAtItsDeadlineOnARevisedPlan() throws {
        var recipe = TestSupport.tinyRecipe(seed: 1)
        recipe.steps = 1_000_000
        recipe.warmupSteps = 1
        let training = DiffusionTraining(recipe: recipe, stepsPerEpoch: 8)
        var totals: [Int] = []
        var seconds = 0.0
        let summaries = try runEpochs(data: data(64), batchSize: recipe.imagesPerStep,
                                      budget: TrainingBudget(epochs: 1, steps: 1_000_000, minutes: 1, revisesPlan: true),
                                      seed: 1, range: .minusOneToOne, revised: { totals.append($0); training.revisePlan(totalSteps: $0) },
                                      clock: { seconds += 0.25; return seconds }) { images, labels in
            try training.train(images: images, labels: labels)
        }
        let steps = summaries.map(\.steps).reduce(0, +)
        XCTAssertGreaterThan(steps, 100, "60 s at about 0.5 s a step")
        XCTAssertLessThan(steps, 130)
        let last = try XCTUnwrap(totals.last)
        XCTAssertLessThanOrEqual(abs(last - steps), 3, "the last plan is the steps taken: \(totals)")
        XCTAssertEqual(training.recipe.steps, last)
        XCTAssertEqual(training.session.schedule.totalSteps, last)
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
