import Foundation
import TensorCore
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Training as the operating system can break it: a `kill -9` in the middle of writing a checkpoint, and a disk
/// that fills up. The chapter 4 trainer runs as a child process on a tiny model (a few seconds per run).
final class TrainingFaultTests: XCTestCase {
    static let checkpointName = "conditional-training.safetensors"
    private var mountPoint: URL?
    private var scratch: URL!
    /// Each started process's log file.
    private var logs: [ObjectIdentifier: URL] = [:]

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("faults-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDown() {
        if let mountPoint { _ = try? Self.command("/bin/umount", [mountPoint.path]) }
        try? FileManager.default.removeItem(at: scratch)
        super.tearDown()
    }

    /// The arguments of a tiny run: 8/16 channels, T = 50, batches of 8 from 64 images, no sample log.
    func tinyRun(_ out: URL, steps: Int, checkpointEvery: Int, resume: Bool = false) -> [String] {
        ["train", "--channels", "8,16", "--layers-per-block", "1", "--attention", "1", "--groups", "4", "--timesteps", "50",
         "--batch-size", "8", "--limit", "64", "--train-steps", String(steps), "--checkpoint-every", String(checkpointEvery),
         "--sample-every", "0", "--seed", "7", "--output", out.path]
            + (resume ? ["--resume", out.appendingPathComponent(Self.checkpointName).path] : [])
    }

    /// Starts `Conditional` with its output going to a log file (read with `log(of:)`).
    func start(_ arguments: [String]) throws -> Process {
        let binary = try builtExecutable("Conditional")
        let logURL = scratch.appendingPathComponent("log-\(UUID().uuidString).txt")
        FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = CLITests.root
        let handle = try FileHandle(forWritingTo: logURL)
        defer { try? handle.close() }
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        logs[ObjectIdentifier(process)] = logURL
        return process
    }

    func log(of process: Process) -> String {
        logs[ObjectIdentifier(process)].flatMap { try? String(contentsOf: $0, encoding: .utf8) } ?? ""
    }

    func runToEnd(_ arguments: [String]) throws -> (Int32, String) {
        let process = try start(arguments)
        process.waitUntilExit()
        return (process.terminationStatus, log(of: process))
    }

    /// The temporary files `AtomicFile` writes a checkpoint through (`.NAME.UUID.tmp`).
    static func temporaries(in directory: URL) -> Set<String> {
        Set(((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter { $0.hasPrefix(".\(checkpointName).") })
    }

    static func inode(_ url: URL) -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: url.path))?[.systemFileNumber] as? Int
    }

    /// Waits until `process` is inside a checkpoint save (its temporary file exists), and stops it there: the
    /// file is checked again after SIGSTOP, so a save that finished in between does not count. True when stopped
    /// mid-save; false when the run ended or no save was seen within 20 s.
    func stopDuringSave(_ process: Process, in directory: URL, ignoring old: Set<String>) -> Bool {
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, process.isRunning {
            if !Self.temporaries(in: directory).subtracting(old).isEmpty {
                kill(process.processIdentifier, SIGSTOP)
                if !Self.temporaries(in: directory).subtracting(old).isEmpty { return true }
                kill(process.processIdentifier, SIGCONT)
            }
            usleep(200)
        }
        return false
    }

    /// Everything a checkpoint holds but its wall-clock time.
    func assertSameTraining(_ a: SafeTensors, _ b: SafeTensors, _ context: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.names, b.names, context, file: file, line: line)
        for name in a.names where a[name] != b[name] { XCTFail("\(context): tensor \(name) differs", file: file, line: line) }
        XCTAssertEqual(a.metadata.filter { $0.key != "train_seconds" }, b.metadata.filter { $0.key != "train_seconds" }, context, file: file, line: line)
    }

    /// Three times, at a seeded random moment, the run is stopped inside a checkpoint save and killed with
    /// SIGKILL; each time the checkpoint on disk is the previous one, whole, and the run resumes from it. The
    /// run that survives all three kills ends bit-identical to one that was never interrupted.
    func testKillDuringACheckpointSaveKeepsThePreviousOneAndResumesBitExact() throws {
        let steps = 48
        let reference = scratch.appendingPathComponent("reference"), killed = scratch.appendingPathComponent("killed")
        let (status, output) = try runToEnd(tinyRun(reference, steps: steps, checkpointEvery: steps))
        XCTAssertEqual(status, 0, output)
        let uninterrupted = try SafeTensors.read(contentsOf: reference.appendingPathComponent(Self.checkpointName))
        XCTAssertEqual(uninterrupted.metadata["step"], String(steps))

        var rng = SeededGenerator(seed: 17)
        var lastStep = 0
        for trial in 1...3 {
            let old = Self.temporaries(in: killed)
            let process = try start(tinyRun(killed, steps: steps, checkpointEvery: 1, resume: trial > 1))
            // A random moment, counted in this run's own saves (each replaces the checkpoint by a rename, so its
            // inode changes) rather than in seconds, so that no machine is so fast that the run ends first.
            let checkpoint = killed.appendingPathComponent(Self.checkpointName)
            let saves = Int.random(in: 1...8, using: &rng)
            var seen = Self.inode(checkpoint), counted = 0
            while counted < saves, process.isRunning {
                let now = Self.inode(checkpoint)
                if now != seen { (seen, counted) = (now, counted + 1) }
                usleep(500)
            }
            let stopped = stopDuringSave(process, in: killed, ignoring: old)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            XCTAssertTrue(stopped, "trial \(trial): never caught inside a save:\n\(log(of: process))")
            XCTAssertEqual(process.terminationReason, .uncaughtSignal, "trial \(trial): the run ended before the kill")
            // The interrupted save left its temporary file; the checkpoint itself is the previous save, whole.
            XCTAssertFalse(Self.temporaries(in: killed).subtracting(old).isEmpty, "trial \(trial)")
            let saved = try SafeTensors.read(contentsOf: killed.appendingPathComponent(Self.checkpointName))
            let step = try XCTUnwrap(saved.metadata["step"].flatMap { Int($0) })
            XCTAssertGreaterThanOrEqual(step, lastStep, "trial \(trial)")
            XCTAssertLessThan(step, steps, "trial \(trial)")
            print("trial \(trial): killed inside the save after step \(step)")
            lastStep = step
        }
        let (resumed, resumeOutput) = try runToEnd(tinyRun(killed, steps: steps, checkpointEvery: 1, resume: true))
        XCTAssertEqual(resumed, 0, resumeOutput)
        XCTAssertTrue(resumeOutput.contains("Resuming") && resumeOutput.contains("at step \(lastStep)"), resumeOutput)
        assertSameTraining(try SafeTensors.read(contentsOf: killed.appendingPathComponent(Self.checkpointName)), uninterrupted,
                           "killed three times and resumed vs uninterrupted")
        XCTAssertEqual(Self.temporaries(in: killed), [], "the partial saves are removed when a run starts")
    }

    /// The output directory is a tmpfs with room for one checkpoint but not for the next save beside it: the run
    /// stops with an error naming the checkpoint and the cause, exits non-zero, leaves no partial file, and the
    /// checkpoint it had written still resumes to the same end as a run on a roomy disk.
    func testAFullDiskIsAClearErrorAndKeepsTheLastCheckpoint() throws {
        let steps = 4
        let roomy = scratch.appendingPathComponent("roomy")
        let (okStatus, okOutput) = try runToEnd(tinyRun(roomy, steps: steps, checkpointEvery: 1))
        XCTAssertEqual(okStatus, 0, okOutput)
        let complete = try SafeTensors.read(contentsOf: roomy.appendingPathComponent(Self.checkpointName))
        let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: roomy.appendingPathComponent(Self.checkpointName).path)[.size] as? Int)

        let disk = scratch.appendingPathComponent("disk")
        try FileManager.default.createDirectory(at: disk, withIntermediateDirectories: true)
        let room = (size * 3 / 2 + 4095) / 4096 * 4096
        let (mountStatus, mountOutput) = try Self.command("/bin/mount", ["-t", "tmpfs", "-o", "size=\(room)", "tmpfs", disk.path])
        guard mountStatus == 0 else {
            throw XCTSkip("cannot mount a \(room)-byte tmpfs as a full disk (needs root and CAP_SYS_ADMIN): \(mountOutput)")
        }
        mountPoint = disk

        let (status, output) = try runToEnd(tinyRun(disk, steps: steps, checkpointEvery: 1))
        XCTAssertNotEqual(status, 0, output)
        XCTAssertLessThan(status, 128, "crashed: \(output)")
        let checkpoint = disk.appendingPathComponent(Self.checkpointName)
        XCTAssertTrue(output.contains("\(checkpoint.path): cannot write file: write failed (No space left on device); "
                                      + "the previous \(Self.checkpointName), if any, is left as it was"), output)
        XCTAssertEqual(Self.temporaries(in: disk), [], "a failed save removes its partial file")
        let kept = try SafeTensors.read(contentsOf: checkpoint)
        XCTAssertEqual(kept.metadata["step"], "1", "the checkpoint of step 1 fitted; step 2's did not")

        // Intact: resumed on a roomy disk, it ends where the uninterrupted run ended.
        let resumed = scratch.appendingPathComponent("resumed")
        try FileManager.default.createDirectory(at: resumed, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: checkpoint, to: resumed.appendingPathComponent(Self.checkpointName))
        let (resumeStatus, resumeOutput) = try runToEnd(tinyRun(resumed, steps: steps, checkpointEvery: 1, resume: true))
        XCTAssertEqual(resumeStatus, 0, resumeOutput)
        assertSameTraining(try SafeTensors.read(contentsOf: resumed.appendingPathComponent(Self.checkpointName)), complete,
                           "resumed from the full disk's checkpoint vs uninterrupted")
    }

    static func command(_ path: String, _ arguments: [String]) throws -> (Int32, String) {
        guard FileManager.default.isExecutableFile(atPath: path) else { return (127, "\(path) not found") }
        return try runProcess(URL(fileURLWithPath: path), arguments)
    }
}
