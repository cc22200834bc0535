import ArgumentParser
import ChapterSupport
import Diffusion
import Foundation
import TensorCore

extension Guidance {
    struct Compare: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The chapter's table: classifier guidance (clean and noise-aware classifier) vs classifier-free guidance.",
            discussion: """
                Every way draws --per-class digits of each class from the same seeds and is scored as 'Conditional evaluate' \
                scores: class accuracy by the shipped classifier, FID on its features beside the real-vs-real floor, and \
                seconds per digit. Classifier guidance costs one network pass per step plus the classifier's forward and \
                backward; classifier-free guidance two network passes. So each classifier-guided way is also run at the \
                step count whose time per digit matches classifier-free guidance's (from the rows' measured times). Also \
                scored by the noise-aware classifier at t = 0, a second reader: the clean-guided digits were steered by \
                the very classifier that scores them. Writes compare.png (one of each digit per way), results.md, results.json.
                """)

        @OptionGroup var options: GuidedSamplingOptions
        @OptionGroup(title: "Classifiers") var classifiers: ClassifierGuidanceOptions
        @OptionGroup(title: "Scoring") var scoring: ScoringOptions

        @Option(help: "Classifier-free guidance w of the conditional model.")
        var guidance = SamplingSettings.defaults.guidance

        @Flag(inversion: .prefixedNo, help: "Also run classifier guidance at the step count matching classifier-free guidance's time.")
        var matchTime = true

        struct Row: Codable {
            var way: String
            var steps: Int
            var scale: Float
            var report: EvaluationReport
            var secondsPerDigit: Double
            var secondAccuracy: Double
        }

        func validate() throws { try checkScale(guidance, flag: "guidance") }

        func run() throws {
            let trained = try options.load()
            let (clean, noisy) = try classifiers.guides()
            let secondReader = try loadNoiseAwareClassifier(classifiers.noisyClassifier)
            let reference = try scoring.reference()
            let out = try options.directory()
            let labels = scoring.labels
            let base = options.settings()
            let none: ([Int]) -> (any SamplingGuide)? = { _ in nil }
            typealias Way = (name: String, conditioning: TrainedModel.Conditioning, w: Float, s: Float, guide: ([Int]) -> (any SamplingGuide)?)
            let cfg: Way = ("classifier-free w=\(guidance)", .classes, guidance, guidance, none)
            let guided: [Way] = [("clean classifier on x0hat", .unconditional, 0, classifiers.cleanScale, { clean($0) }),
                                 ("noise-aware classifier", .unconditional, 0, classifiers.noisyScale, { noisy($0) })]
            // Every way at the same steps first; then classifier guidance again at the steps that CFG's measured time
            // per digit buys it (its cost per step, from its own row, against CFG's).
            var ways: [(Way, Int)] = [(("unconditional, unguided", .unconditional, 0, 0, none), base.steps)]
            ways += guided.map { ($0, base.steps) }
            ways.append((cfg, base.steps))
            var rows: [Row] = [], firsts: [Tensor] = []
            var index = 0
            while index < ways.count {
                let (way, steps) = ways[index]
                index += 1
                var settings = base
                settings.steps = steps
                settings.guidance = way.w
                let (images, seconds) = try options.generate(trained, classes: labels, conditioning: way.conditioning, settings: settings,
                                                             label: "\(index)/\(ways.count)", makeGuide: way.guide)
                let report = EvaluationReport.score(images: images, labels: labels, reference: reference, guidance: way.s,
                                                    sampler: settings.sampler.rawValue, steps: steps, seconds: seconds)
                let second = zip(secondReader.predict(images, timesteps: Array(repeating: 0, count: labels.count)), labels).filter { $0 == $1 }.count
                rows.append(Row(way: way.name, steps: steps, scale: way.s, report: report, secondsPerDigit: seconds / Double(labels.count),
                                secondAccuracy: Double(second) / Double(labels.count)))
                print(Self.table(rows.suffix(1), header: rows.count == 1))
                firsts.append(Tensor.concat((0...9).map { c in images.narrow(axis: 0, start: labels.firstIndex(of: c)!, length: 1) }, axis: 0))
                if matchTime && index == 2 + guided.count {
                    let cfgTime = rows[index - 1].secondsPerDigit
                    for (k, g) in guided.enumerated() {
                        let matched = max(1, min(trained.schedule.steps, Int((Double(base.steps) * cfgTime / rows[1 + k].secondsPerDigit).rounded())))
                        print("  \(g.name): \(matched) steps take classifier-free guidance's time for \(base.steps)")
                        ways.append(((g.name + ", matched time", g.conditioning, g.w, g.s, g.guide), matched))
                    }
                }
            }
            let text = "\(labels.count) digits per way (\(scoring.perClass) per class), \(base.sampler.rawValue), seed \(options.seed); " +
                String(format: "real-vs-real FID floor %.2f\n\n", reference.floor) + Self.table(rows[...], header: true)
            try writeResults(markdown: text, rows: rows, in: out)
            report("table", out.appendingPathComponent("results.md"))
            try writeImage(ImageGrid.make(Tensor.concat(firsts, axis: 0).clamped(-1, 1), columns: 10, range: -1...1, scale: 2,
                                          rowLabels: (1...rows.count).map(String.init), columnLabels: (0...9).map(String.init)),
                           out, "compare.png", "one of each digit per way (rows numbered as in the table)")
        }

        /// The Markdown table of `rows`.
        static func table(_ rows: ArraySlice<Row>, header: Bool) -> String {
            var lines = header ? ["| # | way | steps | s or w | accuracy | accuracy (2nd reader) | FID | x floor | s per digit |",
                                  "|---|---|---|---|---|---|---|---|---|"] : []
            for (i, r) in zip(rows.indices, rows) {
                lines.append("| \(i + 1) | \(r.way) | \(r.steps) | " + String(format: "%.2f | %.1f%% | %.1f%% | %.2f | %.2fx | %.4f |", r.scale,
                                    100 * r.report.accuracy, 100 * r.secondAccuracy, r.report.fid, r.report.fidRatio, r.secondsPerDigit))
            }
            return lines.joined(separator: "\n")
        }
    }
}
