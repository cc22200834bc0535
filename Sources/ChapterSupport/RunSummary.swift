import Diffusion
import Foundation
import TensorCore

/// What a chapter's training run measured, saved as `summary.json` next to its pictures so that later
/// chapters (and the reader) can compare models side by side.
public struct RunSummary: Codable, Sendable {
    public var model: String
    public var parameters: Int
    public var epochs: [EpochSummary]
    public var trainSeconds: Double
    public var trainImagesPerSecond: Double
    public var sampleImagesPerSecond: Double
    public var finalLoss: Float
    public var extra: [String: String] = [:]

    public init(model: String, parameters: Int, epochs: [EpochSummary], trainSeconds: Double, trainImagesPerSecond: Double,
                sampleImagesPerSecond: Double, finalLoss: Float, extra: [String: String] = [:]) {
        self.model = model
        self.parameters = parameters
        self.epochs = epochs
        self.trainSeconds = trainSeconds
        self.trainImagesPerSecond = trainImagesPerSecond
        self.sampleImagesPerSecond = sampleImagesPerSecond
        self.finalLoss = finalLoss
        self.extra = extra
    }

    public func write(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: url, options: .atomic)
    }

    public static func read(from url: URL) -> RunSummary? {
        guard let data = try? Data(contentsOf: url) else { return nil }
        return try? JSONDecoder().decode(RunSummary.self, from: data)
    }
}

/// Writes a results table as `results.md` and its rows as `results.json` (the score-file encoding of
/// `EvaluationReport`) into `out`, both atomically.
public func writeResults(markdown: String, rows: some Encodable, in out: URL) throws {
    try AtomicFile.write(Data((markdown + "\n").utf8), to: out.appendingPathComponent("results.md"))
    try AtomicFile.write(try EvaluationReport.jsonEncoder().encode(rows), to: out.appendingPathComponent("results.json"))
}

/// Seconds taken by `body`.
public func timed<R>(_ body: () throws -> R) rethrows -> (R, Double) {
    let start = DispatchTime.now().uptimeNanoseconds
    let result = try body()
    return (result, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
}
