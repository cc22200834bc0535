import Foundation
import TensorCore
import XCTest

/// `Conditional train --init-from` with no model option trains the architecture of the model it starts from,
/// not the command's default preset (chapter 5's fine-tuning commands start from the shipped cpu-preset model
/// while chapter 4's default is the narrow preset).
final class FineTuneArchitectureTests: XCTestCase {
    func run(_ arguments: [String]) throws -> (Int32, String) {
        try runProcess(try builtExecutable("Conditional"), arguments, in: CLITests.root)
    }

    /// block_out_channels and the batch size in a model file's recipe.
    func recipe(of url: URL) throws -> (channels: [Int], batch: Int) {
        let file = try SafeTensors.read(contentsOf: url)
        let json = try XCTUnwrap(file.metadata["recipe"]).data(using: .utf8)!
        let recipe = try XCTUnwrap(JSONSerialization.jsonObject(with: json) as? [String: Any])
        let model = try XCTUnwrap(recipe["model"] as? [String: Any])
        return (try XCTUnwrap(model["block_out_channels"] as? [Int]), try XCTUnwrap(recipe["batchSize"] as? Int))
    }

    func testInitFromKeepsTheStartingModelsArchitecture() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("init-arch-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let tiny = ["--timesteps", "50", "--limit", "64", "--train-steps", "1", "--sample-every", "0", "--seed", "3"]
        let first = scratch.appendingPathComponent("first"), second = scratch.appendingPathComponent("second")
        var (status, output) = try run(["train", "--channels", "8,16", "--layers-per-block", "1", "--attention", "1", "--groups", "4",
                                        "--batch-size", "8", "--output", first.path] + tiny)
        XCTAssertEqual(status, 0, output)
        let start = first.appendingPathComponent("conditional.safetensors")
        XCTAssertEqual(try recipe(of: start).channels, [8, 16])

        // No model option: the 8,16 network goes on training (the default preset's 16,32,32 would not load it).
        (status, output) = try run(["train", "--init-from", start.path, "--output", second.path] + tiny)
        XCTAssertEqual(status, 0, output)
        let tuned = try recipe(of: second.appendingPathComponent("conditional.safetensors"))
        XCTAssertEqual(tuned.channels, [8, 16], output)
        XCTAssertEqual(tuned.batch, 64, "the chapter's default batch")

        // A model option given: the options describe the network, and the mismatch is a clear error.
        (status, output) = try run(["train", "--init-from", start.path, "--channels", "16,32", "--groups", "4", "--attention", "1",
                                    "--output", second.path] + tiny)
        XCTAssertNotEqual(status, 0, output)
        XCTAssertLessThan(status, 128, "crashed: \(output)")
        XCTAssertTrue(output.contains(start.lastPathComponent), output)
    }
}
