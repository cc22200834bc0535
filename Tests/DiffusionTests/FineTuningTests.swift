import Foundation
import XCTest
import TensorCore
@testable import Diffusion

/// `--init-from`: a run starts from trained weights (and its EMA from them), with a fresh step count; a model
/// of another shape or class count is refused with an error that names the file and the difference.
final class FineTuningTests: XCTestCase {
    func recipe(channels: [Int] = [8, 16], classes: Int? = 11, seed: UInt64) -> DiffusionRecipe {
        TestSupport.tinyRecipe(channels: channels, classes: classes, seed: seed)
    }

    func exported(_ recipe: DiffusionRecipe) throws -> URL {
        let source = DiffusionTraining(recipe: recipe, stepsPerEpoch: 4)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("finetune-\(UUID().uuidString).safetensors")
        try TrainedModel.export(source, to: url)
        return url
    }

    func testStartsFromTheLoadedWeightsWithAFreshStepCount() throws {
        let url = try exported(recipe(seed: 1))
        defer { try? FileManager.default.removeItem(at: url) }
        let trained = try TrainedModel.load(contentsOf: url)
        let tuned = DiffusionTraining(recipe: recipe(seed: 2), stepsPerEpoch: 4)
        let before = tuned.session.model.parameters[0].value.scalars
        try tuned.initializeWeights(from: url)
        XCTAssertNotEqual(tuned.session.model.parameters[0].value.scalars, before, "weights changed")
        for (mine, theirs) in zip(tuned.session.model.parameters, trained.model.parameters) {
            XCTAssertEqual(mine.value.scalars, theirs.value.scalars)
        }
        // The EMA starts from them too: the sampling model before any step is the loaded model.
        for (mine, theirs) in zip(tuned.samplingModel().parameters, trained.model.parameters) {
            XCTAssertEqual(mine.value.scalars, theirs.value.scalars)
        }
        XCTAssertEqual(tuned.session.step, 0)
    }

    /// Weights trained under another schedule, T or loss load, with a warning for each difference.
    func testAnotherScheduleOrTIsWarnedAbout() throws {
        let url = try exported(recipe(seed: 1))
        defer { try? FileManager.default.removeItem(at: url) }
        XCTAssertEqual(try DiffusionTraining(recipe: recipe(seed: 2), stepsPerEpoch: 4).initializeWeights(from: url), [])
        var other = recipe(seed: 2)
        other.schedule = .cosine
        other.timesteps = 50
        let warnings = try DiffusionTraining(recipe: other, stepsPerEpoch: 4).initializeWeights(from: url)
        XCTAssertEqual(warnings.count, 2)
        XCTAssertTrue(warnings[0].contains("linear schedule, this run uses cosine"), "\(warnings)")
        XCTAssertTrue(warnings[1].contains("T = 100, this run uses T = 50"), "\(warnings)")
    }

    func testAnotherArchitectureOrClassCountIsNamed() throws {
        let url = try exported(recipe(seed: 1))
        defer { try? FileManager.default.removeItem(at: url) }
        let wider = DiffusionTraining(recipe: recipe(channels: [8, 24], seed: 2), stepsPerEpoch: 4)
        XCTAssertThrowsError(try wider.initializeWeights(from: url)) {
            XCTAssertTrue("\($0)".contains(url.lastPathComponent) && "\($0)".contains("shape"), "\($0)")
        }
        let unconditional = DiffusionTraining(recipe: recipe(classes: nil, seed: 2), stepsPerEpoch: 4)
        XCTAssertThrowsError(try unconditional.initializeWeights(from: url)) {
            XCTAssertEqual("\($0)", "\(url.displayPath): has 11 class embeddings, the model being trained has 0; --init-from needs the same classes")
        }
    }
}
