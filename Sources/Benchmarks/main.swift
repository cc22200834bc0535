import ArgumentParser
import Foundation
import TensorCore

/// `swift run -c release Benchmarks`: training and sampling speed of every chapter model, and kernel GFLOPS.
struct Benchmarks: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure training and sampling img/s of each chapter model, and GEMM / conv kernel speed.",
        discussion: """
            Compare with PyTorch on the same machine: scripts/compare-torch.sh runs both. \
            `--kernels --path NAME` times one convolution path on every chapter layer beside the path the plan \
            picks (Sources/TensorCore/Kernels/ConvPlan.swift); `--path all --only '64->64 5x5 @14'` times every \
            path on one layer.
            """)

    @Option(help: "Models to measure, comma-separated: basic, unet2d, ddpm, conditional, narrow (chapter 4's 15-minute recipe) (or 'all', or 'none'; default: all, or none with --path).")
    var models: String?

    @Option(help: "Timed steps per measurement.")
    var steps = 5

    @Flag(help: "Also measure the GEMM and convolution kernels.")
    var kernels = false

    @Option(help: "With --kernels: only the kernel rows whose name contains this text, e.g. '64->64 5x5' or 'basic 64->64 5x5 @7' (a layer).")
    var only = ""

    @Flag(help: "With --kernels: print the names of the GEMM rows (those --only selects), one per line, without timing anything.")
    var list = false

    @Option(help: ArgumentHelp("With --kernels: time this convolution path (or 'all' of them) on each pass of every chapter layer it can compute, beside the path the plan picks; --only selects layers.",
                               discussion: "Paths: \(ConvPath.allCases.map(\.rawValue).joined(separator: ", ")).",
                               valueName: "name"))
    var path: String?

    @Flag(help: "Time the GEMM blockings around the one derived from this machine's caches on the chapter shapes, and store the fastest for later runs (~/.cache/diffusion-from-scratch/gemm-blocking.json).")
    var tuneGemm = false

    @Flag(help: "Delete the stored GEMM tuning, so the blocking is derived from the caches again.")
    var resetGemmTuning = false

    @Flag(help: "Time every convolution path on each pass of each chapter layer (batch 128) and store, where one beats the plan's rule by more than 5%, the fastest for later runs (~/.cache/diffusion-from-scratch/conv-paths.json).")
    var tuneConv = false

    @Flag(help: "Delete the stored convolution path measurements, so the plan's rules choose again.")
    var resetConvTuning = false

    @Flag(help: "Measure resident memory over a long sampling run (200 guided DDIM steps, batch 100).")
    var samplingMemory = false

    @Flag(help: "Print where the time of a training step and of a sampling forward pass goes, per op (convolutions per layer shape), for each model.")
    var profile = false

    @Flag(help: "Print JSON: [{\"name\": ..., \"value\": ..., \"unit\": ...}].")
    var json = false

    func validate() throws {
        guard steps >= 1 else { throw ValidationError("--steps must be at least 1") }
        if list { guard kernels && path == nil else { throw ValidationError("--list needs --kernels (and no --path)") } }
        if let path {
            guard kernels else { throw ValidationError("--path needs --kernels") }
            guard path == "all" || ConvPath(rawValue: path) != nil else {
                throw ValidationError("unknown path '\(path)'; choose from all, \(ConvPath.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
        for name in selected where ChapterModel(rawValue: name) == nil {
            throw ValidationError("unknown model '\(name)'; choose from \(ChapterModel.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    var selected: [String] {
        let models = self.models ?? (path == nil ? "all" : "none")
        return models == "all" ? ChapterModel.allCases.map(\.rawValue) : models == "none" ? [] : models.split(separator: ",").map(String.init)
    }

    func run() throws {
        if list {
            for name in KernelBenchmarks.gemmNames(only: only) { print(name) }
            return
        }
        var results: [Measurement] = []
        if resetGemmTuning {
            print(try GEMMTuning.reset() ? "deleted \(GEMMTuning.fileURL!.path)" : "no stored GEMM tuning")
        }
        if resetConvTuning {
            print(try ConvTuning.reset() ? "deleted \(ConvTuning.fileURL!.path)" : "no stored convolution tuning")
        }
        if tuneGemm || tuneConv {
            if tuneGemm { try GEMMTuningReport.tuneAndStore() }
            if tuneConv { try ConvTuningReport.tuneAndStore() }
            return
        }
        for name in selected {
            guard let model = ChapterModel(rawValue: name) else { continue }
            if profile {
                for (what, p) in [("training steps (batch \(model.trainingBatch))", ModelBenchmarks.profile(model, steps: steps)),
                                  ("sampling forward passes (batch 100, no graph)",
                                   ModelBenchmarks.profileSampling(model, steps: steps))] {
                    print("== \(name): per-op time of \(steps) \(what)")
                    print(p.report())
                    print(p.categoryShares().map { String(format: "  %@ %.1f%%", $0.0 as NSString, 100 * $0.1) }.joined(separator: "\n"))
                }
                continue
            }
            let m = ModelBenchmarks.run(model, steps: steps)
            if !json { for r in m { print(row(r.name, r.value, r.unit)) } }
            results += m
        }
        if samplingMemory {
            for m in SamplingMemory.run() {
                if !json { print(row(m.name, m.value, m.unit)) }
                results.append(m)
            }
        }
        if kernels {
            if !json { print(GEMMBlocking.currentReport); print(ConvTuningReport.currentReport) }
            let rows = path.map { KernelBenchmarks.convPaths($0 == "all" ? ConvPath.allCases : [ConvPath(rawValue: $0)!], only: only) }
                ?? KernelBenchmarks.run(only: only)
            let width = max(36, rows.map(\.name.count).max() ?? 0)
            for k in rows {
                if !json { print(row(k.name, k.value, k.unit, width: width)) }
                results.append(Measurement(name: k.name, value: k.value, unit: k.unit))
            }
        }
        results.append(Measurement(name: "peak_memory", value: peakMemoryMB(), unit: "MB"))
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted]
            print(String(decoding: try encoder.encode(results), as: UTF8.self))
        } else {
            print(row("peak_memory", peakMemoryMB(), "MB"))
        }
    }
}

/// One aligned line of the report.
func row(_ name: String, _ value: Double, _ unit: String, width: Int = 36) -> String {
    let padded = name.count >= width ? name : name + String(repeating: " ", count: width - name.count)
    return padded + String(format: "%12.1f ", value) + unit
}

Benchmarks.main()
