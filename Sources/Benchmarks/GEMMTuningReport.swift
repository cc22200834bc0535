import Foundation
import TensorCore

/// `Benchmarks --tune-gemm`: measures the GEMM blockings around the derived one and stores the fastest.
enum GEMMTuningReport {
    static func tuneAndStore() throws {
        let caches = CacheSizes.thisMachine()
        let derived = GEMMBlocking.derived(from: caches)
        print("caches: \(caches); derived blocking: \(derived)")
        let candidates = GEMMBlocking.candidates(around: derived)
        let record = GEMMTuning.tune(candidates: candidates) { done, total in
            let line = String(format: "\rtuning: %d/%d runs", done, total)
            FileHandle.standardError.write(Data(line.utf8))
        }
        FileHandle.standardError.write(Data("\n".utf8))
        let derivedGflops = record.measured[0].gflops
        for m in record.measured.sorted(by: { $0.gflops > $1.gflops }) {
            let mark = m.blocking == record.blocking ? "  <- stored" : m.blocking == derived ? "  (derived)" : ""
            print(String(format: "  kc %3d  mc %4d  %7.1f GFLOPS  %5.1f%% of derived", m.blocking.kc, m.blocking.mc,
                         m.gflops, 100 * m.gflops / derivedGflops) + mark)
        }
        try GEMMTuning.save(record)
        print("stored \(record.blocking) in \(GEMMTuning.fileURL!.path) (geometric mean over \(GEMMTuning.shapes.count) shapes; another blocking replaces the derived one only when more than \(Int(GEMMTuning.defaultMargin * 100))% faster)")
    }
}
