/// Pure formatting functions behind ``ProgressBar``, testable without a terminal or a clock.
public enum ProgressFormat {
    /// A duration as people read it: `"0s"`, `"42s"`, `"1m23s"`, `"2h05m"`, `"3d04h"`; `"?"` when unknown.
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0, seconds < 1e9 else { return "?" }
        let total = Int(seconds.rounded())
        let (days, hours, minutes, secs) = (total / 86_400, total / 3600 % 24, total / 60 % 60, total % 60)
        if total < 60 { return "\(secs)s" }
        if total < 3600 { return "\(minutes)m\(twoDigits(secs))s" }
        if total < 86_400 { return "\(hours)h\(twoDigits(minutes))m" }
        return "\(days)d\(twoDigits(hours))h"
    }

    /// A throughput: `"1.23k img/s"`, `"312 img/s"`, `"4.56 it/s"`, or `"2.50 s/it"` when slower than one
    /// `unit` per second; `"? it/s"` when unknown.
    public static func rate(_ perSecond: Double, unit: String = "it") -> String {
        guard perSecond.isFinite, perSecond > 0 else { return "? \(unit)/s" }
        if perSecond < 1 { return "\(fixed(1 / perSecond, decimals: 2)) s/\(unit)" }
        if perSecond >= 1000 { return "\(fixed(perSecond / 1000, decimals: 2))k \(unit)/s" }
        let decimals = perSecond >= 100 ? 0 : perSecond >= 10 ? 1 : 2
        return "\(fixed(perSecond, decimals: decimals)) \(unit)/s"
    }

    /// A bar of `width` cells filled to `fraction` (clamped to 0...1). `unicode` uses eighth blocks for a
    /// smooth edge (`███▌      `); otherwise `#` and `.` (`###.......`).
    public static func bar(fraction: Double, width: Int, unicode: Bool = true) -> String {
        guard width > 0 else { return "" }
        let f = fraction.isFinite ? min(max(fraction, 0), 1) : 0
        if !unicode {
            let filled = Int((f * Double(width)).rounded(.down))
            return String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        }
        let eighths = Int((f * Double(width * 8)).rounded(.down))
        let full = eighths / 8, partial = eighths % 8
        let partials: [Character] = [" ", "▏", "▎", "▍", "▌", "▋", "▊", "▉"]
        var text = String(repeating: "█", count: full)
        if full < width {
            text.append(partials[partial])
            text += String(repeating: " ", count: width - full - 1)
        }
        return text
    }

    /// A percentage with no decimals, right-aligned to 4 characters: `"  7%"`, `"100%"`.
    public static func percent(_ fraction: Double) -> String {
        let value = fraction.isFinite ? Int((min(max(fraction, 0), 1) * 100).rounded(.down)) : 0
        let text = "\(value)%"
        return String(repeating: " ", count: max(0, 4 - text.count)) + text
    }

    /// The status line: `label  step/total  percent  [bar]  rate  elapsed<eta  key=value ...`.
    /// `bar` may be empty (plain logs omit it).
    public static func line(label: String, step: Int, total: Int, elapsed: Double, rate: String,
                            bar: String, metrics: [(String, String)]) -> String {
        let fraction = total > 0 ? Double(step) / Double(total) : 0
        let remaining = step > 0 && total > step ? elapsed / Double(step) * Double(total - step) : (step >= total ? 0 : .nan)
        var parts: [String] = []
        if !label.isEmpty { parts.append(label) }
        let width = String(max(total, 0)).count
        parts.append(String(repeating: " ", count: max(0, width - String(step).count)) + "\(step)/\(total)")
        parts.append(percent(fraction))
        if !bar.isEmpty { parts.append("|\(bar)|") }
        parts.append(rate)
        parts.append("\(duration(elapsed))<\(duration(remaining))")
        parts += metrics.map { "\($0.0)=\($0.1)" }
        return parts.joined(separator: "  ")
    }

    private static func twoDigits(_ value: Int) -> String {
        value < 10 ? "0\(value)" : "\(value)"
    }

    /// `value` with exactly `decimals` decimals, without Foundation's locale-dependent formatting.
    static func fixed(_ value: Double, decimals: Int) -> String {
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (value * scale).rounded()
        guard scaled.magnitude < 1e15 else { return "\(value)" }
        let integer = Int(scaled)
        let sign = integer < 0 ? "-" : ""
        let magnitude = abs(integer)
        let whole = magnitude / Int(scale), fraction = magnitude % Int(scale)
        guard decimals > 0 else { return "\(sign)\(whole)" }
        let digits = String(fraction)
        return "\(sign)\(whole)." + String(repeating: "0", count: decimals - digits.count) + digits
    }
}
