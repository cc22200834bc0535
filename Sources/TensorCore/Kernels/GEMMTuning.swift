import Foundation

/// A measured GEMM blocking, kept in a file so that the measurement is made once per machine:
/// `Benchmarks --tune-gemm` times every candidate of `GEMMBlocking.candidates` on the chapter shapes and
/// writes the fastest to `~/.cache/diffusion-from-scratch/gemm-blocking.json` (or under $XDG_CACHE_HOME).
/// Every later process reads it through `GEMMBlocking.current`, if it was measured on a machine with the same
/// caches and core count. `DIFFUSION_GEMM_TUNING=off` ignores the file; `Benchmarks --reset-gemm-tuning`
/// deletes it. Without a file the derived blocking is used: the tune is the check that the derivation is right.
public enum GEMMTuning {
    /// What the file holds.
    public struct Record: Codable, Equatable, Sendable {
        public var caches: CacheSizes
        public var cores: Int
        public var blocking: GEMMBlocking
        /// Geometric-mean GFLOPS of each candidate over the tuning shapes, as measured.
        public var measured: [Measured]
    }

    public struct Measured: Codable, Equatable, Sendable {
        public var blocking: GEMMBlocking
        public var gflops: Double
    }

    /// M x K x N (and transposes) of the products the chapter models spend their time in, plus 1024^3.
    public typealias Shape = (transA: Bool, transB: Bool, m: Int, k: Int, n: Int)
    public static let shapes: [Shape] = [
        (false, false, 128, 1152, 6272), (false, false, 64, 1600, 784), (false, false, 32, 576, 784),
        (false, true, 128, 6272, 1152), (true, false, 1152, 128, 6272), (false, false, 1024, 1024, 1024),
    ]

    /// The file, or nil when there is no home or cache directory.
    public static var fileURL: URL? { TuningFile.url("gemm-blocking.json") }

    /// The stored record for a machine with these caches and this many cores, if tuning is on and one exists.
    /// A file that cannot be read or parsed is ignored: the derived blocking is always a correct fallback.
    static func stored(for caches: CacheSizes, cores: Int = GEMM.defaultThreads, at url: URL? = fileURL) -> Record? {
        guard let record = TuningFile.read(Record.self, at: url, unless: "DIFFUSION_GEMM_TUNING"),
              record.caches == caches, record.cores == cores,
              GEMMBlocking.kcRange.contains(record.blocking.kc), GEMMBlocking.mcRange.contains(record.blocking.mc),
              record.blocking.mc % GEMM.mr == 0 else { return nil }
        return record
    }

    /// How much faster than the derived blocking another candidate must be to replace it.
    public static let defaultMargin = 0.03

    /// Times every candidate on `shapes` (best of `repeats` runs of each, interleaved so that a disturbance
    /// hits all candidates alike) and returns the record of the fastest by geometric-mean GFLOPS. The derived
    /// blocking (the first candidate) is kept unless another is more than `margin` faster.
    public static func tune(candidates: [GEMMBlocking], repeats: Int = 5, margin: Double = defaultMargin,
                            shapes: [Shape] = shapes, progress: (Int, Int) -> Void = { _, _ in }) -> Record {
        precondition(!candidates.isEmpty, "GEMMTuning.tune: no candidates")
        let buffers = shapes.map { s -> (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) in
            (TuningFile.pattern(s.m * s.k), TuningFile.pattern(s.k * s.n), TuningFile.pattern(s.m * s.n))
        }
        defer { for (a, b, c) in buffers { a.deallocate(); b.deallocate(); c.deallocate() } }
        var best = [[Double]](repeating: [Double](repeating: .infinity, count: shapes.count), count: candidates.count)
        for r in 0..<repeats {
            for (ci, blocking) in candidates.enumerated() {
                for (si, s) in shapes.enumerated() {
                    let (a, b, c) = buffers[si]
                    let start = DispatchTime.now().uptimeNanoseconds
                    GEMM.sgemm(transA: s.transA, transB: s.transB, m: s.m, n: s.n, k: s.k, alpha: 1,
                               a: a, lda: s.transA ? s.m : s.k, b: b, ldb: s.transB ? s.k : s.n, beta: 0,
                               c: c, ldc: s.n, maxThreads: GEMM.defaultThreads, minFlopsPerThread: GEMM.threadWork,
                               blocking: blocking)
                    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
                    best[ci][si] = min(best[ci][si], seconds)
                }
                progress(r * candidates.count + ci + 1, repeats * candidates.count)
            }
        }
        let measured = candidates.indices.map { ci -> Measured in
            let logMean = shapes.indices.map { si in
                log(2 * Double(shapes[si].m * shapes[si].n * shapes[si].k) / best[ci][si] * 1e-9)
            }.reduce(0, +) / Double(shapes.count)
            return Measured(blocking: candidates[ci], gflops: exp(logMean))
        }
        let fastest = measured.max { $0.gflops < $1.gflops }!
        let chosen = fastest.gflops > measured[0].gflops * (1 + margin) ? fastest.blocking : candidates[0]
        return Record(caches: CacheSizes.thisMachine(), cores: GEMM.defaultThreads, blocking: chosen, measured: measured)
    }

    /// Writes the record atomically (a temporary file renamed over the old one).
    public static func save(_ record: Record, to url: URL? = fileURL) throws { try TuningFile.save(record, to: url) }

    /// Deletes the file; true when there was one.
    @discardableResult
    public static func reset() throws -> Bool { try TuningFile.reset(fileURL) }
}

extension GEMMBlocking {
    /// One line for reports: the blocking in use, where it came from and the caches it was derived from.
    public static var currentReport: String {
        let caches = CacheSizes.thisMachine()
        let derived = GEMMBlocking.derived(from: caches)
        let source = GEMMTuning.stored(for: caches) != nil
            ? "tuned, from \(GEMMTuning.fileURL?.path ?? "?"); derived would be \(derived)"
            : "derived from the caches"
        return "gemm blocking \(current) (\(source)); \(caches), \(GEMM.defaultThreads) cores"
    }
}
