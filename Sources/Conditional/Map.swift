import ArgumentParser
import ChapterSupport
import Diffusion
import Foundation
import TensorCore

extension Conditional {
    struct Map: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The quality-versus-steps map: accuracy and FID (with its real-vs-real floor) per sampler, steps and w.",
            discussion: """
                Writes OUT/map.json (resumable: settings already measured are skipped), OUT/map.md, OUT/fid-steps.png and \
                OUT/accuracy-fid.png. The defaults make the chapter's table of the two solvers (48 rows of 1,000 digits: about \
                an hour and a half on two cores); scripts/quality-map.sh quick is a smaller map in minutes. DDPM always runs \
                all of the model's T steps and is slow (1,000 digits with guidance: about 90 minutes on two cores; at \
                w 0, which needs no unconditional pass, about half), so it runs only when named in --samplers. A DDPM row keeps each finished batch \
                of \(TrainedModel.sampleBatch) digits in OUT/batches until the row is done, so a stopped map resumes mid-row.
                Example: Conditional map --samplers dpm-solver,ddim --steps 5,10 --guidance 0,0.5,1 --per-class 20
                """)

        @Option(help: "Model file or training checkpoint.")
        var checkpoint = ShippedFiles.conditionalModel

        @Option(help: "Samplers, comma-separated: dpm-solver, ddim, ddpm.")
        var samplers = "dpm-solver,ddim"

        @Option(help: "Step counts for dpm-solver and ddim, comma-separated.")
        var steps = "5,10,20,50"

        @Option(help: "Guidance scales w, comma-separated.")
        var guidance = "0.35,0,0.5,1,2,3"

        @Option(help: "DDPM only at these w (default: all of --guidance).")
        var ddpmGuidance: String?

        @Option(help: "Draw the steps chart at this w.")
        var chartGuidance = SamplingSettings.defaults.guidance

        @Option(help: "Draw the accuracy-FID chart at this step count.")
        var chartSteps = SamplingSettings.defaults.steps

        @Option(help: "Random seed (the same digits' noise for every setting).")
        var seed: UInt64 = 0

        @Option(help: "Output directory.")
        var out = "runs/map"

        @OptionGroup(title: "Scoring") var scoring: ScoringOptions

        func sha256(of url: URL) throws -> String {
            do { return DatasetChecksums.sha256([UInt8](try Data(contentsOf: url))) } catch {
                throw ValidationError("cannot read \(url.relativePath): \(error.localizedDescription)")
            }
        }

        func parsed<T>(_ text: String, _ flag: String, _ make: (String) -> T?) throws -> [T] {
            let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            let values = parts.compactMap(make)
            guard !parts.isEmpty, values.count == parts.count else { throw ValidationError("--\(flag): cannot read '\(text)' as a comma-separated list") }
            return values
        }

        func validate() throws {
            _ = try parsed(samplers, "samplers") { SamplerKind(rawValue: $0) }
            guard try parsed(steps, "steps", { Int($0) }).allSatisfy({ $0 >= 1 }) else { throw ValidationError("--steps must all be at least 1") }
            for w in try parsed(guidance, "guidance", { Float($0) }) + (try ddpmGuidance.map { try parsed($0, "ddpm-guidance") { Float($0) } } ?? []) {
                guard w.isFinite && SamplingSettings.guidanceRange.contains(w) else { throw ValidationError("--guidance values must be in 0...20, got \(w)") }
            }
        }

        func batchDirectory(_ out: URL) -> URL { out.appendingPathComponent("batches", isDirectory: true) }

        /// A DDPM row (all T steps, an hour or more) batch by batch through kept files, so a stopped map resumes
        /// from its last finished batch; the files go once the row is in map.json.
        func resumableBatches(_ trained: TrainedModel, settings s: SamplingSettings, directory: URL,
                              provenance: [String: String]) throws -> (Tensor, Double) {
            let key = "\(s.sampler.rawValue)-\(s.stepCount(timesteps: trained.schedule.steps))-w\(s.guidance)"
            let files = SampleBatchFiles(directory: batchDirectory(directory), key: key, provenance: provenance)
            let batch = TrainedModel.sampleBatch
            let kept = files.kept(labels: scoring.labels, batch: batch)
            let keptCount = kept.filter { $0 != nil }.count
            if keptCount > 0 { print("  \(keptCount) batch(es) of \(batch) kept from an earlier run in \(files.directory.relativePath)") }
            let bar = ProgressBar(total: max(1, (kept.count - keptCount) * s.stepCount(timesteps: trained.schedule.steps)), label: "sample",
                                  itemsPerStep: min(batch, scoring.labels.count))
            defer { bar.finish() }
            return try files.generate(trained, labels: scoring.labels, settings: s, seed: seed, batch: batch, kept: kept) { done, _ in bar.update(step: done) }
        }

        func run() throws {
            let url = ShippedFiles.resolve(checkpoint)
            let trained = try TrainedModel.loadConditional(contentsOf: url)
            let T = trained.schedule.steps
            let kinds = try parsed(samplers, "samplers") { SamplerKind(rawValue: $0) }
            let stepCounts = try parsed(steps, "steps") { Int($0) }.filter { $0 <= T }
            let scales = try parsed(guidance, "guidance") { Float($0) }
            let ddpmScales = try ddpmGuidance.map { try parsed($0, "ddpm-guidance") { Float($0) } } ?? scales
            let settings: [SamplingSettings] = kinds.flatMap { kind -> [SamplingSettings] in
                kind == .ddpm ? ddpmScales.map { SamplingSettings(sampler: .ddpm, steps: T, guidance: $0) }
                    : scales.flatMap { w in stepCounts.map { SamplingSettings(sampler: kind, steps: $0, guidance: w) } }
            }
            let directory = URL(fileURLWithPath: out, isDirectory: true)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let jsonURL = directory.appendingPathComponent("map.json")
            let reference = try scoring.reference()
            // Rows are reused only if measured on the same model file, seed, classifier, data and digit count.
            let provenance = [
                "model": url.relativePath, "modelSHA256": try sha256(of: url),
                "classifierSHA256": try sha256(of: ShippedFiles.resolve(scoring.classifierPath)),
                "data": scoring.dataName, "seed": String(seed), "samples": String(scoring.labels.count),
                "floor": String(format: "%.4f", reference.floor),
            ]
            var map = QualityMap(floor: reference.floor, provenance: provenance)
            if let old = try? JSONDecoder().decode(QualityMap.self, from: Data(contentsOf: jsonURL)) {
                if old.provenance == provenance {
                    map = old
                    print("Resuming \(jsonURL.relativePath): \(old.rows.count) settings already measured")
                } else {
                    print("\(jsonURL.relativePath) was measured on another model, seed, classifier, data or count: starting over")
                }
            }
            print(String(format: "Real-vs-real floor: FID %.2f (%d training digits vs the test set)", reference.floor, reference.floorCount))
            let sampling = try SamplingOptions.parse(["--checkpoint", checkpoint, "--seed", String(seed)])
            for (i, s) in settings.enumerated() {
                let steps = s.stepCount(timesteps: T)
                if map.row(sampler: s.sampler.rawValue, steps: steps, guidance: s.guidance) != nil { continue }
                print("[\(i + 1)/\(settings.count)] \(s.summary(timesteps: T))")
                let (images, seconds) = try s.sampler == .ddpm
                    ? resumableBatches(trained, settings: s, directory: directory, provenance: provenance)
                    : timed { try sampling.generateInBatches(trained, labels: scoring.labels, settings: s) }
                let row = EvaluationReport.score(images: images, labels: scoring.labels, reference: reference, guidance: s.guidance,
                                                 sampler: s.sampler.rawValue, steps: steps, seconds: seconds)
                print(String(format: "  accuracy %.2f%%, FID %.2f = %.2fx floor, %.1f s", 100 * row.accuracy, row.fid, row.fidRatio, seconds))
                map.rows.append(row)
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                try AtomicFile.write(try encoder.encode(map), to: jsonURL)
                try? FileManager.default.removeItem(at: batchDirectory(directory))
            }
            try AtomicFile.write(Data((map.table + "\n").utf8), to: directory.appendingPathComponent("map.md"))
            print(map.table)
            try map.stepsChart(guidance: chartGuidance).writePNG(to: directory.appendingPathComponent("fid-steps.png"))
            try map.guidanceChart(steps: chartSteps).writePNG(to: directory.appendingPathComponent("accuracy-fid.png"))
            report("map", jsonURL)
            report("charts", directory.appendingPathComponent("fid-steps.png"))
        }
    }
}
