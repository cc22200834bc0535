import Foundation
import XCTest
import TensorCore
@testable import Diffusion

/// A resumed run continues exactly as an uninterrupted one; a NaN loss stops training and keeps the last
/// good checkpoint.
final class TrainingResumeTests: XCTestCase {
    func tinyRecipe() -> DiffusionRecipe {
        var recipe = DiffusionRecipe()
        recipe.model.blockOutChannels = [8, 16]
        recipe.model.layersPerBlock = 1
        recipe.model.downBlockTypes = [.down, .attnDown]
        recipe.model.upBlockTypes = [.attnUp, .up]
        recipe.model.normNumGroups = 4
        recipe.model.dropout = 0.1            // dropout masks must resume too
        recipe.model.numClassEmbeds = 11      // and label dropout
        recipe.labelDropProbability = 0.2
        recipe.timesteps = 100
        recipe.batchSize = 8
        recipe.epochs = 2
        recipe.warmupSteps = 3
        recipe.seed = 42
        recipe.limit = 32
        return recipe
    }

    func testResumedRunMatchesUninterruptedRun() throws {
        let data = try MNIST.load(split: .test).prefix(32)
        let recipe = tinyRecipe()
        let perEpoch = 32 / recipe.batchSize

        // A: two epochs in one go.
        let a = DiffusionTraining(recipe: recipe, stepsPerEpoch: perEpoch)
        _ = try a.run(data: data, budget: TrainingBudget(epochs: 2, limit: 32), checkpointURL: nil)

        // B: one epoch, checkpoint through a file, a fresh process's worth of objects, then the rest.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("resume-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("ckpt.safetensors")
        let b1 = DiffusionTraining(recipe: recipe, stepsPerEpoch: perEpoch)
        _ = try b1.run(data: data, budget: TrainingBudget(epochs: 1, limit: 32), checkpointURL: url)
        XCTAssertEqual(b1.session.step, perEpoch)
        let b2 = try DiffusionTraining.resume(from: try SafeTensors.read(contentsOf: url)) { _ in perEpoch }
        XCTAssertEqual(b2.session.step, perEpoch)
        _ = try b2.run(data: data, budget: TrainingBudget(epochs: 2, limit: 32), checkpointURL: nil)

        XCTAssertEqual(b2.session.step, a.session.step)
        XCTAssertEqual(b2.session.losses, a.session.losses, "loss history differs after resume")
        for ((name, pa), (_, pb)) in zip(a.session.model.namedParameters(), b2.session.model.namedParameters()) {
            XCTAssertEqual(pa.value.scalars, pb.value.scalars, "\(name) differs after resume")
        }
        XCTAssertEqual(a.session.ema!.shadow.map(\.scalars), b2.session.ema!.shadow.map(\.scalars), "EMA differs after resume")
        // And the test can fail: a run with another seed ends elsewhere.
        var other = recipe
        other.seed = 43
        let c = DiffusionTraining(recipe: other, stepsPerEpoch: perEpoch)
        _ = try c.run(data: data, budget: TrainingBudget(epochs: 2, limit: 32), checkpointURL: nil)
        XCTAssertNotEqual(c.session.losses, a.session.losses)
    }

    func testNonFiniteLossStopsTrainingAndKeepsTheLastGoodCheckpoint() throws {
        let data = try MNIST.load(split: .test).prefix(32)
        var recipe = tinyRecipe()
        recipe.learningRate = 1e30            // diverges within a few steps
        recipe.learningRateShape = .constant
        recipe.warmupSteps = 0
        let training = DiffusionTraining(recipe: recipe, stepsPerEpoch: 4)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nan-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("ckpt.safetensors")
        XCTAssertThrowsError(try training.run(data: data, budget: TrainingBudget(epochs: 50, limit: 32), checkpointURL: url,
                                              checkpointEvery: 1)) { error in
            XCTAssertTrue(error is NonFiniteLossError, "\(error)")
            XCTAssertTrue("\(error)".contains("the loss is"), "\(error)")
        }
        // The checkpoint on disk is the last one written before the failure, and every weight in it is finite.
        let saved = try SafeTensors.read(contentsOf: url)
        let savedStep = try XCTUnwrap(Int(saved.metadata["step"] ?? ""))
        XCTAssertEqual(savedStep, training.session.step, "the checkpoint should be from the last finite step")
        for name in saved.names where name.hasPrefix("model.") {
            XCTAssertTrue(try saved.floats(name).values.allSatisfy(\.isFinite), "\(name) has non-finite values")
        }
    }
}
