import ChapterSupport
import Diffusion

/// One of the two runs of the experiment, as measured.
struct RunResult: Codable {
    var name: String
    var steps: Int
    var trainSeconds: Double
    var finalLoss: Float
    var score: EvaluationReport?
}

extension RunResult {
    /// The Markdown table of `results.md`: steps, time, loss and scores of each run, and the floor.
    static func table(_ results: [RunResult]) -> String {
        var lines = ["| run | steps | train time | final loss | class accuracy | FID | FID / floor |", "|---|---|---|---|---|---|---|"]
        for r in results {
            let score = r.score.map { String(format: "%.1f%% | %.2f | %.2fx", 100 * $0.accuracy, $0.fid, $0.fidRatio) } ?? "- | - | -"
            lines.append("| \(r.name) | \(r.steps) | \(fmt(r.trainSeconds, 0)) s | \(fmt(r.finalLoss)) | \(score) |")
        }
        if let s = results.first?.score {
            lines.append(String(format: "\n%d items per run (%@, %d steps, w = %.2f); real-vs-real floor FID %.2f (%d real training items vs the test set)",
                                s.samples, s.sampler, s.steps, s.guidance, s.fidFloor, s.samples))
        }
        return lines.joined(separator: "\n")
    }
}
