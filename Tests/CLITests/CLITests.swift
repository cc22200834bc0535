import Foundation
import XCTest

/// The chapter executables, run as a user would, with bad input.
final class CLITests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Runs a built executable; returns (exit status, stdout + stderr).
    func run(_ product: String, _ arguments: [String]) throws -> (Int32, String) {
        try runProcess(try builtExecutable(product), arguments, in: Self.root)
    }

    func assertFails(_ product: String, _ arguments: [String], saying message: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let (status, output) = try run(product, arguments)
        XCTAssertNotEqual(status, 0, "\(product) \(arguments) should fail", file: file, line: line)
        XCTAssertLessThan(status, 128, "\(product) \(arguments) crashed (signal): \(output)", file: file, line: line)
        XCTAssertTrue(output.contains(message), "\(product) \(arguments): expected '\(message)' in:\n\(output)", file: file, line: line)
    }

    func testConditionalRejectsBadArguments() throws {
        try assertFails("Conditional", ["generate", "--digit", "12"], saying: "--digit must be 0-9, got 12")
        try assertFails("Conditional", ["generate", "--digit", "3", "--steps=-5"], saying: "--steps must be at least 1, got -5")
        try assertFails("Conditional", ["generate", "--digit", "3", "--steps", "2000"], saying: "--steps must be in 1...1000 (the model's T), got 2000")
        try assertFails("Conditional", ["generate", "--digit", "3", "--sampler", "euler"], saying: "sampler")
        try assertFails("Conditional", ["generate", "--digit", "3", "--order", "3"], saying: "--order must be 1 or 2, got 3")
        try assertFails("Conditional", ["generate", "--digit", "3", "--eta", "1.5"], saying: "--eta must be in 0...1, got 1.5")
        try assertFails("Conditional", ["generate", "--digit", "3", "--animate", "x.png"], saying: "--animate must name a .gif file")
        try assertFails("Conditional", ["generate", "--grid", "--animate", "x.gif"], saying: "--animate goes with --digit D")
        try assertFails("Conditional", ["map", "--steps", "5,x"], saying: "--steps: cannot read '5,x'")
        try assertFails("Conditional", ["train", "--accumulate", "0"], saying: "--accumulate must be in 1...256, got 0")
        // Fewer images than one optimizer step of 16 x 4 once was a precondition trap in the epoch loop.
        try assertFails("Conditional", ["train", "--limit", "8", "--batch-size", "16", "--accumulate", "4", "--output", NSTemporaryDirectory() + "too-few"],
                        saying: "8 training images make no batch of 64")
        try assertFails("Conditional", ["train", "--sample-every=-1"], saying: "--sample-every must be 0 (off) or more, got -1")
        try assertFails("Conditional", ["train", "--data", "/nonexistent-cifar"], saying: "/nonexistent-cifar")
        try assertFails("Conditional", ["generate", "--digit", "3", "--guidance", "nan"], saying: "--guidance must be in 0...20")
        try assertFails("Conditional", ["generate", "--number", "20x6"], saying: "--number must be 1 to 32 digits")
        try assertFails("Conditional", ["generate"], saying: "give exactly one of --digit D, --number N, --equation E, --sweep or --grid")
        try assertFails("Conditional", ["generate", "--sweep", "--count", "17"], saying: "--count with --sweep must be in 1...16, got 17")
        try assertFails("Conditional", ["generate", "--digit", "3", "--out", "x.jpg"], saying: "--out must name a .png file")
        try assertFails("Conditional", ["generate", "--digit", "3", "--checkpoint", "no/such/file.safetensors"],
                        saying: "no/such/file.safetensors")
        try assertFails("Conditional", ["serve", "--port", "70000"], saying: "--port must be in 1...65535")
        try assertFails("Conditional", ["evaluate", "--per-class", "1"], saying: "--per-class must be in 2...2000")
    }

    func testAMismatchedCheckpointIsNamed() throws {
        // The classifier's weights are a safetensors file, but not a diffusion model.
        try assertFails("Conditional", ["generate", "--digit", "1", "--checkpoint", "Checkpoints/mnist-classifier.safetensors"],
                        saying: "mnist-classifier.safetensors: not a training checkpoint of this project (metadata 'recipe' missing)")
        // A corrupt file: a typed error naming it, not a crash.
        let bad = FileManager.default.temporaryDirectory.appendingPathComponent("corrupt-\(UUID().uuidString).safetensors")
        try Data([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 1, 2, 3]).write(to: bad)
        defer { try? FileManager.default.removeItem(at: bad) }
        try assertFails("Conditional", ["generate", "--digit", "1", "--checkpoint", bad.path], saying: bad.lastPathComponent)
    }

    func testTrainingCommandsRejectBadArguments() throws {
        try assertFails("Basic", ["--epochs", "0"], saying: "--epochs must be at least 1")
        try assertFails("Basic", ["--lr=-1"], saying: "--lr must be a positive number")
        try assertFails("Basic", ["--data", "/no/such/dir"], saying: "/no/such/dir")
        try assertFails("UNet2D", ["--channels", "32,abc"], saying: "--channels must be positive integers")
        try assertFails("UNet2D", ["--groups", "5"], saying: "--groups 5 must divide every channel count")
        try assertFails("DDPM", ["train", "--timesteps", "3"], saying: "--timesteps must be in 10...10000")
        try assertFails("DDPM", ["train", "--min-snr-gamma=-1"], saying: "--min-snr-gamma must be in 0...1000")
        try assertFails("DDPM", ["train", "--resume", "/no/such/checkpoint.safetensors"], saying: "/no/such/checkpoint.safetensors")
        try assertFails("DDPM", ["sample", "--count", "0"], saying: "--count must be in 1...1024")
        try assertFails("Conditional", ["train", "--init-from", "a.safetensors", "--resume", "b.safetensors"], saying: "give --resume or --init-from, not both")
        try assertFails("Conditional", ["train", "--init-from", "Checkpoints/mnist-classifier.safetensors", "--limit", "8"],
                        saying: "mnist-classifier.safetensors: not a training checkpoint of this project")
    }

    func testFineTuningRejectsBadArguments() throws {
        try assertFails("FineTuning", ["compare", "--minutes", "0"], saying: "--minutes must be in (0, 1440], got 0.0")
        try assertFails("FineTuning", ["compare", "--train-steps", "0"], saying: "--train-steps must be in 1...1000000, got 0")
        try assertFails("FineTuning", ["compare", "--per-class", "1"], saying: "--per-class must be 0 or in 2...2000, got 1")
        try assertFails("FineTuning", ["compare", "--dataset", "cifar"], saying: "dataset")
        try assertFails("FineTuning", ["compare", "--data", "/no/such/idx-dir", "--output", NSTemporaryDirectory() + "ft-bad"], saying: "/no/such/idx-dir")
        try assertFails("FineTuning", ["compare", "--from", "no/such/model.safetensors", "--output", NSTemporaryDirectory() + "ft-bad"],
                        saying: "no/such/model.safetensors")
        try assertFails("FineTuning", ["compare", "--from", "Checkpoints/mnist-classifier.safetensors", "--output", NSTemporaryDirectory() + "ft-bad"],
                        saying: "mnist-classifier.safetensors")
        try assertFails("FineTuning", ["generate"], saying: "give exactly one of --item ITEM or --grid")
        try assertFails("FineTuning", ["generate", "--item", "hat"], saying: "--item: 'hat' is not a class number 0-9 or one of T-shirt/top")
        try assertFails("FineTuning", ["generate", "--grid", "--out", "x.jpg"], saying: "--out must name a .png file")
        try assertFails("FineTuning", ["generate", "--grid", "--steps", "5000"], saying: "--steps must be in 1...1000")
    }

    /// The chapter 5 experiment end to end, tiny: two runs of exactly 2 steps, their models, pictures and table.
    func testFineTuningCompareRunsBothRuns() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("ft-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let (status, output) = try run("FineTuning", ["compare", "--train-steps", "2", "--batch-size", "8", "--limit", "16",
                                                       "--per-class", "0", "--sample-every", "1", "--grid-count", "1", "--output", out.path])
        XCTAssertEqual(status, 0, output)
        for name in ["loss.png", "results.md", "results.json", "fine-tuned/model.safetensors", "fine-tuned/samples.png",
                     "fine-tuned/samples-during-training.png", "from-scratch/model.safetensors", "from-scratch/samples.png"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent(name).path), "\(name) missing:\n\(output)")
        }
        let table = try String(contentsOf: out.appendingPathComponent("results.md"), encoding: .utf8)
        XCTAssertTrue(table.contains("| fine-tuned | 2 |") && table.contains("| from scratch | 2 |"), table)
        // The fine-tuned run starts from the shipped model, so it begins far below the random start.
        let results = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("results.json"))) as? [[String: Any]]
        XCTAssertEqual(results?.count, 2)
        let (tuned, scratch) = (results?[0]["finalLoss"] as? Double ?? .nan, results?[1]["finalLoss"] as? Double ?? .nan)
        XCTAssertLessThan(tuned, scratch, "fine-tuned \(tuned) vs from scratch \(scratch)")
    }

    func testEditingCommandsRejectBadInput() throws {
        try assertFails("Guidance", ["sdedit", "--strengths", "0.5,1.5"], saying: "--strengths must each be in (0, 1] (0: no change, 1: from pure noise), got 1.5")
        try assertFails("Guidance", ["sdedit", "--strengths", "0"], saying: "--strengths must each be in (0, 1]")
        try assertFails("Guidance", ["sdedit", "--strengths", "half"], saying: "--strengths: cannot read 'half'")
        try assertFails("Guidance", ["sdedit", "--classes", "3,12"], saying: "--classes must be digits 0-9, got 12")
        try assertFails("Guidance", ["sdedit", "--index", "10000"], saying: "--index must be test-set indices in 0...9999, got 10000")
        try assertFails("Guidance", ["sdedit", "--image", "drawing.jpg"], saying: "--image must name a .png file")
        try assertFails("Guidance", ["sdedit", "--image", "no/such/drawing.png"], saying: "no/such/drawing.png")
        let corrupt = FileManager.default.temporaryDirectory.appendingPathComponent("corrupt-\(UUID().uuidString).png")
        try Data("not a picture".utf8).write(to: corrupt)
        defer { try? FileManager.default.removeItem(at: corrupt) }
        try assertFails("Guidance", ["sdedit", "--image", corrupt.path], saying: corrupt.lastPathComponent)
        try assertFails("Guidance", ["invert", "--steps", "0"], saying: "--steps must be in 1...1000, got 0")
        try assertFails("Guidance", ["invert", "--label", "11"], saying: "--label must be 0-9, got 11")
        try assertFails("Guidance", ["inpaint", "--resample", "0"], saying: "--resample must be in 1...20, got 0")
        try assertFails("Guidance", ["inpaint", "--eta", "2"], saying: "--eta must be in 0...1, got 2.0")
        try assertFails("Guidance", ["inpaint", "--mask", "m.png"], saying: "--mask goes with --image")
        try assertFails("Guidance", ["inpaint", "--erase", "middle"], saying: "erase")
        // A mask of another size than the picture: both files named, with their sizes.
        try assertFails("Guidance", ["inpaint", "--image", "Chapters/images/01-basic/samples-5steps.png", "--mask", "Chapters/images/04-conditional/sweep.png"],
                        saying: "--mask Chapters/images/04-conditional/sweep.png is 1169x591 but --image Chapters/images/01-basic/samples-5steps.png is 466x466")
        try assertFails("Conditional", ["generate", "--equation", "1/0"], saying: "--equation '1/0': division by zero")
        try assertFails("Conditional", ["generate", "--equation", "2^8"], saying: "--equation '2^8': '^' is not allowed; use whole numbers and + - * /")
        try assertFails("Conditional", ["generate", "--equation", "1+2+3+4+5+6+7+8+9+10+11+12"], saying: "--equation '1+2+3+4+5+6+7+8+9+10+11+12': the equation has 26 characters; at most 24")
        try assertFails("Conditional", ["generate", "--equation", "1/3"], saying: "does not end within 3 decimal places")
    }

    func testHelpExplainsEachCommand() throws {
        for (product, args, phrase) in [("Basic", ["--help"], "Chapter 1"), ("UNet2D", ["--help"], "Chapter 2"),
                                        ("DDPM", ["--help"], "Chapter 3"), ("Conditional", ["--help"], "Chapter 4"),
                                        ("FineTuning", ["--help"], "Chapter 5"), ("FineTuning", ["compare", "--help"], "--train-steps"),
                                        ("Guidance", ["--help"], "Chapter 6"), ("Guidance", ["loss", "--help"], "through the U-Net"),
                                        ("Guidance", ["compare", "--help"], "real-vs-real floor"),
                                        ("Guidance", ["train-noisy-classifier", "--help"], "--epochs"),
                                        ("Guidance", ["sdedit", "--help"], "--strengths"), ("Guidance", ["invert", "--help"], "DDIM"),
                                        ("Guidance", ["inpaint", "--help"], "--resample"), ("Conditional", ["generate", "--help"], "--equation"),
                                        ("Conditional", ["generate", "--help"], "--digit"),
                                        ("Conditional", ["generate", "--help"], "dpm-solver"), ("Conditional", ["map", "--help"], "real-vs-real floor")] {
            let (status, output) = try run(product, args)
            XCTAssertEqual(status, 0, "\(product) \(args)")
            XCTAssertTrue(output.contains(phrase), "\(product) \(args): \(output.prefix(300))")
        }
    }

    func testGuidanceRejectsBadArguments() throws {
        try assertFails("Guidance", ["loss", "--target", "2"], saying: "--target must be in 0...1, got 2.0")
        try assertFails("Guidance", ["loss", "--loss", "centroid", "--at", "40,2"], saying: "--at must be X,Y with both in 0...27, got '40,2'")
        try assertFails("Guidance", ["loss", "--scale", "nan"], saying: "--scale must be a finite number >= 0")
        try assertFails("Guidance", ["loss", "--digit", "10"], saying: "--digit must be 0-9, got 10")
        try assertFails("Guidance", ["loss", "--count", "0"], saying: "--count must be in 1...64, got 0")
        try assertFails("Guidance", ["loss", "--loss", "sharpness"], saying: "--loss")
        try assertFails("Guidance", ["loss", "--steps", "2000"], saying: "--steps must be in 1...1000 (the model's T), got 2000")
        try assertFails("Guidance", ["loss", "--checkpoint", "no/such/model.safetensors"], saying: "no/such/model.safetensors")
        try assertFails("Guidance", ["classifier", "--clean-scale=-1"], saying: "--clean-scale must be a finite number >= 0, got -1.0")
        try assertFails("Guidance", ["classifier", "--noisy-classifier", "no/such/noisy.safetensors"], saying: "no/such/noisy.safetensors")
        try assertFails("Guidance", ["compare", "--per-class", "1"], saying: "--per-class must be in 2...2000, got 1")
        try assertFails("Guidance", ["train-noisy-classifier", "--epochs", "0"], saying: "--epochs must be in 1...100, got 0")
        try assertFails("Guidance", ["train-noisy-classifier", "--out", "weights.bin"], saying: "--out must name a .safetensors file")
    }
}
