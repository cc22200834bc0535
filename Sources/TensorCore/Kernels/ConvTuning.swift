import Foundation

/// Convolution paths measured on this machine, kept in a file so the measurement is made once per machine.
///
/// The rules of `ConvPath.rule(for:_:)` were measured on one CPU: which of two paths is faster on a layer
/// depends on its cache sizes and vector units (on a Zen 5 and on a Xeon the same layer has been seen to
/// prefer different paths). `Benchmarks --tune-conv` times every path that applies to each pass of each
/// chapter layer at batch 128, interleaved, best of a few runs, and writes
/// `~/.cache/diffusion-from-scratch/conv-paths.json` (or under $XDG_CACHE_HOME). A measured path replaces the
/// rule's only where it was more than `defaultMargin` faster. Every later process reads the file through
/// `ConvPath.choose` if it was measured on a machine with the same caches and core count.
/// `DIFFUSION_CONV_TUNING=off` ignores it; `Benchmarks --reset-conv-tuning` deletes it.
///
/// Only layers whose batch gives every core six samples or more are looked up (the tune runs at batch 128;
/// below that the sample-group paths change their cost), so small sampling batches keep the rules.
public enum ConvTuning {
    /// A layer and pass, without the batch.
    public struct Key: Codable, Hashable, Sendable, CustomStringConvertible {
        public var inChannels: Int, outChannels: Int, height: Int, width: Int
        public var kernelHeight: Int, kernelWidth: Int, stride: Int, padding: Int
        public var pass: String

        public init(_ g: Conv2DGeometry, _ pass: ConvPass) {
            (inChannels, outChannels, height, width) = (g.inChannels, g.outChannels, g.height, g.width)
            (kernelHeight, kernelWidth, stride, padding) = (g.kernelHeight, g.kernelWidth, g.stride, g.padding)
            self.pass = pass.rawValue
        }

        public var description: String {
            "\(inChannels)->\(outChannels) \(kernelHeight)x\(kernelWidth)\(stride > 1 ? " s\(stride)" : "") @\(height) \(pass)"
        }
    }

    /// One measured pass: every path's speed, the rule's path and the one stored.
    public struct Choice: Codable, Equatable, Sendable {
        public var key: Key
        public var rule: String
        public var path: String
        /// Images per second of each path that applies, best of the runs.
        public var imagesPerSecond: [String: Double]
    }

    /// What the file holds.
    public struct Record: Codable, Equatable, Sendable {
        public var caches: CacheSizes
        public var cores: Int
        public var batch: Int
        public var choices: [Choice]

        /// The stored path of each measured pass.
        public var table: [Key: ConvPath] {
            Dictionary(choices.compactMap { c in ConvPath(rawValue: c.path).map { (c.key, $0) } }, uniquingKeysWith: { a, _ in a })
        }
    }

    /// The file, or nil when there is no home or cache directory.
    public static var fileURL: URL? { TuningFile.url("conv-paths.json") }

    /// The stored record for a machine with these caches and cores, if tuning is on and one exists. A file
    /// that cannot be read or parsed is ignored: the rules are always a correct fallback.
    public static func stored(for caches: CacheSizes, at url: URL? = fileURL) -> Record? {
        stored(for: caches, cores: GEMM.defaultThreads, at: url)
    }

    static func stored(for caches: CacheSizes, cores: Int, at url: URL?) -> Record? {
        guard let record = TuningFile.read(Record.self, at: url, unless: "DIFFUSION_CONV_TUNING"),
              record.caches == caches, record.cores == cores else { return nil }
        return record
    }

    /// The measured paths this process uses (read once).
    static let current: [Key: ConvPath] = stored(for: CacheSizes.thisMachine())?.table ?? [:]

    /// The measured path for `pass` of `g`, if there is one that applies.
    static func path(for g: Conv2DGeometry, _ pass: ConvPass, sixPerWorker: Bool) -> ConvPath? {
        guard sixPerWorker, !current.isEmpty, let path = current[Key(g, pass)], path.applies(to: g, pass) else { return nil }
        return path
    }

    /// How much faster than the rule's path another must be to replace it: less is within the noise of a
    /// shared 2-core machine.
    public static let defaultMargin = 0.05

    /// Times every path that applies to each pass of each layer (at `layers`' batch; best of `repeats` runs,
    /// interleaved so a disturbance hits all paths alike) and returns the record.
    public static func tune(layers: [Conv2DGeometry], repeats: Int = 3, margin: Double = defaultMargin,
                            progress: (Int, Int) -> Void = { _, _ in }) -> Record {
        let work = layers.flatMap { g in ConvPass.allCases.map { (g, $0) } }
        var choices: [Choice] = []
        for (i, (g, pass)) in work.enumerated() {
            let buffers = Buffers(g)
            let paths = ConvPath.applicable(to: g, pass)
            var best = [Double](repeating: .infinity, count: paths.count)
            for _ in 0..<repeats {
                for (pi, path) in paths.enumerated() { best[pi] = min(best[pi], buffers.time(pass, path)) }
            }
            let rule = ConvPath.rule(for: g, pass)
            let ruleSeconds = paths.firstIndex(of: rule).map { best[$0] } ?? .infinity
            let fastest = best.indices.min { best[$0] < best[$1] }!
            let chosen = best[fastest] * (1 + margin) < ruleSeconds ? paths[fastest] : rule
            choices.append(Choice(key: Key(g, pass), rule: rule.rawValue, path: chosen.rawValue,
                                  imagesPerSecond: Dictionary(uniqueKeysWithValues: zip(paths.map(\.rawValue), best.map { Double(g.batch) / $0 }))))
            progress(i + 1, work.count)
        }
        return Record(caches: CacheSizes.thisMachine(), cores: GEMM.defaultThreads, batch: layers.first?.batch ?? 0, choices: choices)
    }

    /// Writes the record atomically.
    public static func save(_ record: Record, to url: URL? = fileURL) throws { try TuningFile.save(record, to: url) }

    /// Deletes the file; true when there was one.
    @discardableResult
    public static func reset() throws -> Bool { try TuningFile.reset(fileURL) }

    /// Operands of one layer, filled with small deterministic values.
    final class Buffers {
        let g: Conv2DGeometry
        let x, w, bias, y, dy, dx, dw, db: UnsafeMutablePointer<Float>

        init(_ g: Conv2DGeometry) {
            self.g = g
            let input = g.batch * g.inChannels * g.height * g.width
            let output = g.batch * g.outChannels * g.outHeight * g.outWidth
            let weights = g.outChannels * g.inChannels * g.kernelHeight * g.kernelWidth
            (x, w, bias) = (TuningFile.pattern(input, seed: 1), TuningFile.pattern(weights, seed: 2), TuningFile.pattern(g.outChannels, seed: 3))
            (y, dy, dx) = (TuningFile.pattern(output, seed: 4), TuningFile.pattern(output, seed: 5), TuningFile.pattern(input, seed: 6))
            (dw, db) = (TuningFile.pattern(weights, seed: 7), TuningFile.pattern(g.outChannels, seed: 8))
        }

        deinit { for p in [x, w, bias, y, dy, dx, dw, db] { p.deallocate() } }

        /// Seconds of one run of `pass` by `path` (after one untimed run: first-touch pages, workers awake).
        func time(_ pass: ConvPass, _ path: ConvPath) -> Double {
            let run: () -> Void
            switch pass {
            case .forward: run = { Conv2DKernels.forward(self.g, input: self.x, weight: self.w, bias: self.bias, output: self.y, path: path) }
            case .inputGradient: run = { Conv2DKernels.backwardData(self.g, gradOutput: self.dy, weight: self.w, gradInput: self.dx, path: path) }
            case .weightGradient:
                run = { Conv2DKernels.backwardWeight(self.g, input: self.x, gradOutput: self.dy, gradWeight: self.dw, gradBias: self.db, path: path) }
            }
            run()
            let start = DispatchTime.now().uptimeNanoseconds
            run()
            return Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        }
    }
}
