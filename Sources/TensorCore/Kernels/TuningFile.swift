import Foundation

/// Where the kernels keep what they measured on this machine, and how: one JSON file per measurement under
/// `~/.cache/diffusion-from-scratch/` (or `$XDG_CACHE_HOME/diffusion-from-scratch/`), written atomically.
/// Used by GEMMTuning (`gemm-blocking.json`) and ConvTuning (`conv-paths.json`).
enum TuningFile {
    /// The file `name` in the cache directory, or nil when there is no home or cache directory.
    static func url(_ name: String) -> URL? {
        let env = ProcessInfo.processInfo.environment
        let base = env["XDG_CACHE_HOME"].map { URL(fileURLWithPath: $0) }
            ?? env["HOME"].map { URL(fileURLWithPath: $0).appendingPathComponent(".cache") }
        return base?.appendingPathComponent("diffusion-from-scratch/\(name)")
    }

    /// The record in `url`, or nil when the measurement is switched off (`environment` set to "off"), or the
    /// file is missing or cannot be parsed: a tuning file is only ever a hint over a correct fallback.
    static func read<Record: Decodable>(_ type: Record.Type, at url: URL?, unless environment: String) -> Record? {
        guard ProcessInfo.processInfo.environment[environment] != "off", let url,
              let data = try? Data(contentsOf: url) else { return nil }
        return try? JSONDecoder().decode(Record.self, from: data)
    }

    /// Writes `record` as JSON atomically (a temporary file renamed over the old one).
    static func save(_ record: some Encodable, to url: URL?) throws {
        guard let url else { throw CocoaError(.fileNoSuchFile) }
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(record), to: url)
    }

    /// Deletes the file; true when there was one.
    static func reset(_ url: URL?) throws -> Bool {
        guard let url, FileManager.default.fileExists(atPath: url.path) else { return false }
        try FileManager.default.removeItem(at: url)
        return true
    }

    /// `count` small deterministic values in [-0.5, 0.5): the operands a tune times its kernels on.
    static func pattern(_ count: Int, seed: Int = 0) -> UnsafeMutablePointer<Float> {
        let p = UnsafeMutablePointer<Float>.allocate(capacity: max(1, count))
        for i in 0..<count { p[i] = Float((i * 7919 + seed * 104_729) % 13) / 13 - 0.5 }
        return p
    }
}
