import Foundation

/// Where time goes, per op: forward and backward wall time and call counts.
///
/// Every op ends by calling `Tensor.record`, so the time since the previous op finished is charged to the op
/// that just finished; `backward()` times each pullback separately. Bind a profiler for a block of code with
/// `Profiler.$current.withValue(profiler) { ... }`; with none bound, profiling costs one task-local read per op.
public final class Profiler: @unchecked Sendable {
    @TaskLocal public static var current: Profiler?

    public struct Entry: Sendable {
        public var seconds: Double = 0
        public var calls = 0
    }

    public private(set) var entries: [String: Entry] = [:]
    private var last = DispatchTime.now().uptimeNanoseconds

    public init() {}

    /// Starts the clock for the next op (e.g. after non-op work that should not be charged to it).
    public func resetClock() { last = DispatchTime.now().uptimeNanoseconds }

    /// Charges the time since the previous mark to `op`.
    public func mark(_ op: String) {
        let now = DispatchTime.now().uptimeNanoseconds
        entries[op, default: Entry()].seconds += Double(now - last) / 1e9
        entries[op, default: Entry()].calls += 1
        last = now
    }

    /// A table of ops by total time, with their share.
    public func report(top: Int = 40) -> String {
        let total = entries.values.reduce(0) { $0 + $1.seconds }
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        var lines = [pad("op", 40) + "   seconds   share    calls"]
        for (op, e) in entries.sorted(by: { $0.value.seconds > $1.value.seconds }).prefix(top) {
            lines.append(pad(op, 40) + String(format: " %9.3f %6.1f%% %8d", e.seconds, 100 * e.seconds / max(total, 1e-12), e.calls))
        }
        lines.append(pad("total", 40) + String(format: " %9.3f", total))
        return lines.joined(separator: "\n")
    }

    /// Time shares grouped into the categories of the performance notes.
    public func categoryShares() -> [(String, Double)] {
        let total = entries.values.reduce(0) { $0 + $1.seconds }
        var groups: [String: Double] = [:]
        for (op, e) in entries {
            // "conv2d 64->64 3x3 @14.backward" -> "conv2d"
            let base = String(op.prefix { $0 != " " && $0 != "." })
            let category: String
            switch base {
            case "conv2d", "convTranspose2d": category = "convolution"
            case "matmul": category = "matmul (linear, attention)"
            case "softmax", "logSoftmax": category = "softmax"
            case "attention": category = "attention (fused)"
            case "groupNorm": category = "group norm"
            case "permute", "reshape", "concat", "narrow", "gather": category = "data movement"
            default: category = "elementwise and reductions"
            }
            groups[category, default: 0] += e.seconds
        }
        return groups.map { ($0.key, $0.value / max(total, 1e-12)) }.sorted { $0.1 > $1.1 }
    }
}
