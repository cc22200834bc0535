import Foundation

/// Quality versus cost for one model: class accuracy and FID (as a multiple of the real-vs-real floor) for each
/// sampler, step count and guidance scale w. Its table and charts choose the sampling defaults
/// (Chapters/04-Conditional.md, "Choosing the defaults").
public struct QualityMap: Codable, Sendable {
    /// FID of as many real training digits as each row scores, against the test set.
    public var floor: Double
    /// What the rows were measured on: the model file's SHA-256, the seed, the classifier, the data and the digit
    /// count. A map is resumed only when all of these are the same (nil: written before this was kept; not resumed).
    public var provenance: [String: String]?
    public var rows: [EvaluationReport] = []

    public init(floor: Double, provenance: [String: String]? = nil) {
        self.floor = floor
        self.provenance = provenance
    }

    /// The row for a setting, if it was measured.
    public func row(sampler: String, steps: Int, guidance: Float) -> EvaluationReport? {
        rows.first { $0.sampler == sampler && $0.steps == steps && $0.guidance == guidance }
    }

    /// A Markdown table, one row per setting, with FID as a multiple of the floor and seconds per digit.
    public var table: String {
        var lines = [String(format: "Real-vs-real floor: FID %.2f (%d real training digits vs the test set).\n", floor, rows.first?.samples ?? 0),
                     "| sampler | steps | w | accuracy | FID | FID / floor | s per digit |", "|---|---|---|---|---|---|---|"]
        for r in rows {
            lines.append(String(format: "| %@ | %d | %g | %.2f%% | %.2f | %.2fx | %.3f |", r.sampler, r.steps, Double(r.guidance),
                                100 * r.accuracy, r.fid, r.fidRatio, r.seconds / Double(max(r.samples, 1))))
        }
        return lines.joined(separator: "\n")
    }

    /// FID / floor over steps, one line per sampler, at guidance `w`; a sampler measured at one step count only
    /// (DDPM, all T) is drawn as a flat line across the chart.
    public func stepsChart(guidance w: Float) -> RGBImage {
        let at = rows.filter { $0.guidance == w }
        let samplers = Array(Set(at.map(\.sampler))).sorted()
        let allSteps = at.map { Double($0.steps) }.filter { $0 <= 100 }
        let (low, high) = (allSteps.min() ?? 1, allSteps.max() ?? 50)
        let series = samplers.enumerated().map { i, name -> LineChart.Series in
            let mine = at.filter { $0.sampler == name }.sorted { $0.steps < $1.steps }
            let points: [(Double, Double)] = mine.count == 1 && Double(mine[0].steps) > high
                ? [(low, mine[0].fidRatio), (high, mine[0].fidRatio)]
                : mine.map { (Double($0.steps), $0.fidRatio) }
            let label = mine.count == 1 ? "\(name) (\(mine[0].steps) steps)" : name
            return LineChart.Series(name: label, points: points, color: LineChart.palette[i % LineChart.palette.count], lineWidth: 2)
        }
        let floorLine = LineChart.Series(name: "real digits (1x)", points: [(low, 1), (high, 1)], color: RGB(150, 150, 150))
        return LineChart(title: "FID / real-vs-real floor over solver steps (w = \(w))", xLabel: "steps (model calls per digit)",
                         yLabel: "FID / floor", series: series + [floorLine]).render(width: 720, height: 420)
    }

    /// Class accuracy against FID / floor across guidance scales, one line per sampler at `steps`: the
    /// accuracy-realism trade of guidance.
    public func guidanceChart(steps: Int) -> RGBImage {
        let at = rows.filter { $0.steps == steps }
        let samplers = Array(Set(at.map(\.sampler))).sorted()
        let series = samplers.enumerated().map { i, name in
            LineChart.Series(name: "\(name) \(steps) steps, w = " + at.filter { $0.sampler == name }.sorted { $0.guidance < $1.guidance }
                                .map { String(format: "%g", Double($0.guidance)) }.joined(separator: ", "),
                             points: at.filter { $0.sampler == name }.sorted { $0.guidance < $1.guidance }.map { ($0.fidRatio, 100 * $0.accuracy) },
                             color: LineChart.palette[i % LineChart.palette.count], lineWidth: 2)
        }
        // The bar the defaults must pass: accuracy >= 99% and FID <= 1.5x the floor (the upper left corner).
        let ys = at.map { 100 * $0.accuracy }
        let target = LineChart.Series(name: "bar: >= 99% and <= 1.5x floor",
                                      points: [(1, 99), (1.5, 99), (1.5, max(ys.max() ?? 100, 99)), (1.5, 99)], color: RGB(150, 150, 150))
        return LineChart(title: "Guidance trades realism for accuracy (\(steps) steps)", xLabel: "FID / real-vs-real floor",
                         yLabel: "class accuracy (%)", series: series + [target]).render(width: 720, height: 420)
    }
}
