import Foundation
import TensorCore

/// `Benchmarks --tune-conv`: times every convolution path on the chapter layers and stores the measured choices.
enum ConvTuningReport {
    static func tuneAndStore() throws {
        let layers = Conv2DGeometry.chapterLayers(batch: 128).map(\.geometry)
        var seen = Set<ConvTuning.Key>()
        let unique = layers.filter { seen.insert(ConvTuning.Key($0, .forward)).inserted }
        print("caches: \(CacheSizes.thisMachine()); \(unique.count) layers x 3 passes, batch 128")
        let record = ConvTuning.tune(layers: unique) { done, total in
            FileHandle.standardError.write(Data(String(format: "\rtuning: %d/%d passes", done, total).utf8))
        }
        FileHandle.standardError.write(Data("\n".utf8))
        for c in record.choices {
            let rule = c.imagesPerSecond[c.rule] ?? 0
            let paths = c.imagesPerSecond.sorted { $0.value > $1.value }
                .map { String(format: "%@ %.0f", $0.key as NSString, $0.value) }.joined(separator: ", ")
            let change = c.path == c.rule ? "rule kept" : String(format: "%@ replaces %@ (+%.0f%%)", c.path as NSString, c.rule as NSString,
                                                                   100 * ((c.imagesPerSecond[c.path] ?? 0) / max(rule, 1e-9) - 1))
            print("  \(c.key): \(change)   [img/s: \(paths)]")
        }
        try ConvTuning.save(record)
        let changed = record.choices.filter { $0.path != $0.rule }.count
        print("stored in \(ConvTuning.fileURL!.path): \(changed) of \(record.choices.count) passes take a measured path " +
              "(another path replaces the rule's only when more than \(Int(ConvTuning.defaultMargin * 100))% faster)")
    }

    /// One line for reports: whether measured paths are in use.
    static var currentReport: String {
        guard let record = ConvTuning.stored(for: CacheSizes.thisMachine()) else { return "conv paths: the plan's rules (no measurement stored for this machine)" }
        let changed = record.choices.filter { $0.path != $0.rule }
        return "conv paths: measured on this machine, \(changed.count) of \(record.choices.count) passes differ from the rules" +
            (changed.isEmpty ? "" : ": " + changed.map { "\($0.key) \($0.path)" }.joined(separator: "; "))
    }
}
