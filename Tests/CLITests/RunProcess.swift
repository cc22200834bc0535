import Foundation
import XCTest

/// The debug build of a chapter executable, as `swift test` leaves it; the test is skipped when it is missing.
func builtExecutable(_ product: String) throws -> URL {
    let binary = CLITests.root.appendingPathComponent(".build/debug/\(product)")
    guard FileManager.default.isExecutableFile(atPath: binary.path) else {
        throw XCTSkip("\(binary.path) is not built (run through swift test)")
    }
    return binary
}

/// Runs `executable` with `arguments` (in `directory`, when given) to its end: (exit status, stdout + stderr).
func runProcess(_ executable: URL, _ arguments: [String], in directory: URL? = nil) throws -> (Int32, String) {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: output, as: UTF8.self))
}
