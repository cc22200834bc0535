import Foundation
import TensorCore

/// Sampling in batches that survives an interruption: each finished batch is kept as a file, and a rerun
/// loads the batches it finds instead of sampling them again.
///
/// It draws exactly what `TrainedModel.generateInBatches` draws (batch b from seed `seed + its first index`),
/// so a resumed row scores the same digits as one run in one go. What it is for: a DDPM row of the quality map
/// takes all T = 1000 steps for each of its 1,000 digits, an hour or more on two cores, and a stopped run
/// would otherwise lose all of it.
///
/// One file per batch, `directory/<key>-<first index>.safetensors`, holding `images` `[n, 1, H, W]` and the
/// seconds it took. A file is used only if its metadata matches `provenance` and its labels and shape are
/// those asked for; anything else is sampled again and overwritten (atomically).
public struct SampleBatchFiles: Sendable {
    public let directory: URL
    /// Names the setting, e.g. "ddpm-1000-w0.35".
    public let key: String
    /// What must match for a kept batch to be reused (model and classifier hashes, seed, ...).
    public let provenance: [String: String]

    public init(directory: URL, key: String, provenance: [String: String]) {
        self.directory = directory
        self.key = key
        self.provenance = provenance
    }

    public func url(start: Int) -> URL { directory.appendingPathComponent("\(key)-\(start).safetensors") }

    /// A kept batch for these labels, or nil if there is none that matches.
    /// - returns: images `[labels.count, 1, H, W]` and the seconds they took to sample
    public func load(start: Int, labels: [Int]) -> (images: Tensor, seconds: Double)? {
        guard let file = try? SafeTensors.read(contentsOf: url(start: start)) else { return nil }
        var expected = provenance
        expected["labels"] = labels.map(String.init).joined(separator: ",")
        for (name, value) in expected where file.metadata[name] != value { return nil }
        guard let images = try? file.tensor("images"), images.rank == 4, images.shape[0] == labels.count,
              let seconds = file.metadata["seconds"].flatMap(Double.init) else { return nil }
        return (images, seconds)
    }

    /// Keeps one finished batch.
    public func save(_ images: Tensor, start: Int, labels: [Int], seconds: Double) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var file = SafeTensors()
        file.set("images", images)
        file.metadata = provenance
        file.metadata["labels"] = labels.map(String.init).joined(separator: ",")
        file.metadata["seconds"] = String(seconds)
        try file.write(to: url(start: start))
    }

    /// The batches of `labels` (`batch` at a time) and their first indices.
    func batches(_ labels: [Int], batch: Int) -> [(start: Int, labels: [Int])] {
        stride(from: 0, to: labels.count, by: batch).map { ($0, Array(labels[$0..<min($0 + batch, labels.count)])) }
    }

    /// What is kept for each batch of `labels`, in order: nil where the batch is still to be sampled.
    public func kept(labels: [Int], batch: Int = TrainedModel.sampleBatch) -> [(images: Tensor, seconds: Double)?] {
        precondition(batch >= 1, "SampleBatchFiles.kept: batch must be at least 1")
        return batches(labels, batch: batch).map { load(start: $0.start, labels: $0.labels) }
    }

    /// `trained.generateInBatches(labels:settings:seed:batch:)`, batch by batch through the kept files.
    /// - kept: `kept(labels:batch:)` if the caller has already read it (it is read here otherwise)
    /// - progress: (steps done, steps in all) over the batches still to sample
    /// - returns: images `[labels.count, 1, H, W]` in [-1, 1], and the sampling seconds of all batches
    ///   (kept ones count the seconds they took when they were made)
    public func generate(_ trained: TrainedModel, labels: [Int], settings: SamplingSettings, seed: UInt64,
                         batch: Int = TrainedModel.sampleBatch, kept: [(images: Tensor, seconds: Double)?]? = nil,
                         progress: ((Int, Int) -> Void)? = nil) throws -> (images: Tensor, seconds: Double) {
        precondition(batch >= 1 && !labels.isEmpty, "SampleBatchFiles.generate: batch must be at least 1 and labels not empty")
        let all = batches(labels, batch: batch)
        let starts = all.map(\.start), chunks = all.map(\.labels)
        var parts = kept ?? self.kept(labels: labels, batch: batch)
        precondition(parts.count == all.count, "SampleBatchFiles.generate: kept has \(parts.count) entries for \(all.count) batches")
        let missing = parts.indices.filter { parts[$0] == nil }
        let total = settings.stepCount(timesteps: trained.schedule.steps)
        for (done, i) in missing.enumerated() {
            let started = Date()
            let images = try trained.generate(labels: chunks[i], settings: settings, seed: seed &+ UInt64(starts[i])) { step, _ in
                progress?(done * total + step, total * missing.count)
            }.images
            let seconds = Date().timeIntervalSince(started)
            try save(images, start: starts[i], labels: chunks[i], seconds: seconds)
            parts[i] = (images, seconds)
        }
        let finished = parts.compactMap { $0 }
        return (Tensor.concat(finished.map(\.images), axis: 0), finished.map(\.seconds).reduce(0, +))
    }
}
