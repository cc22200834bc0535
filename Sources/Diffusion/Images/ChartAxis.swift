import Foundation

/// Tick placement and tick-label formatting for ``LineChart``: pure functions, tested on their own.
public enum ChartAxis {
    /// "Nice" tick values (1, 2 or 5 times a power of ten apart) inside `low...high`, about `target` of them.
    public static func linearTicks(low: Double, high: Double, target: Int = 6) -> (values: [Double], step: Double) {
        guard low.isFinite, high.isFinite, high > low, target > 0 else { return ([low], 1) }
        let rough = (high - low) / Double(target)
        let magnitude = pow(10, (log10(rough)).rounded(.down))
        let normalized = rough / magnitude
        let nice: Double = normalized <= 1 ? 1 : normalized <= 2 ? 2 : normalized <= 5 ? 5 : 10
        let step = nice * magnitude
        var values: [Double] = []
        var k = (low / step).rounded(.up)
        while k * step <= high + step * 1e-9, values.count < 100 {
            let value = k * step
            values.append(abs(value) < step * 1e-9 ? 0 : value)
            k += 1
        }
        return (values, step)
    }

    /// Ticks for a logarithmic axis over `low...high` (both positive): powers of ten, with 2x and 5x added
    /// when the range spans fewer than three decades; falls back to linear ticks inside one decade.
    public static func logTicks(low: Double, high: Double) -> [Double] {
        guard low > 0, high > low, low.isFinite, high.isFinite else { return [] }
        let first = Int(log10(low).rounded(.down)), last = Int(log10(high).rounded(.up))
        let multipliers: [Double] = last - first <= 3 ? [1, 2, 5] : [1]
        var values: [Double] = []
        for exponent in first...last {
            for m in multipliers {
                let value = m * pow(10, Double(exponent))
                if value >= low * (1 - 1e-9), value <= high * (1 + 1e-9) { values.append(value) }
            }
        }
        if values.count < 2 { return linearTicks(low: low, high: high, target: 4).values.filter { $0 > 0 } }
        return values
    }

    /// A short label for a tick value, given the spacing of its neighbours:
    /// `0`, `0.25`, `1.5`, `300`, `20k`, `1.5M`, `1e-4`, `2.5e-3`.
    public static func label(_ value: Double, step: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : (value > 0 ? "inf" : "-inf") }
        if value == 0 { return "0" }
        let magnitude = abs(value)
        if magnitude < 1e-3 || magnitude >= 1e9 { return scientific(value) }
        if magnitude >= 1e4, step >= 1000 || step <= 0 {
            let (scaled, suffix) = magnitude >= 1e6 ? (value / 1e6, "M") : (value / 1e3, "k")
            return trimmed(String(format: "%.2f", scaled)) + suffix
        }
        let decimals = step > 0 ? max(0, min(6, Int((-log10(step)).rounded(.up)))) : 2
        return trimmed(String(format: "%.\(decimals)f", value))
    }

    /// `value` as mantissa and exponent with at most two decimals: `1e-4`, `2.5e-3`, `-1.25e9`.
    public static func scientific(_ value: Double) -> String {
        var exponent = Int(log10(abs(value)).rounded(.down))
        var mantissa = value / pow(10, Double(exponent))
        if abs(mantissa) >= 9.995 { mantissa /= 10; exponent += 1 }  // rounding carried over: 9.999e-4 -> 1e-3
        return trimmed(String(format: "%.2f", mantissa)) + "e\(exponent)"
    }

    /// Removes trailing zeros after a decimal point: "1.50" -> "1.5", "2.00" -> "2".
    static func trimmed(_ text: String) -> String {
        guard text.contains(".") else { return text }
        var result = text
        while result.hasSuffix("0") { result.removeLast() }
        if result.hasSuffix(".") { result.removeLast() }
        return result == "-0" ? "0" : result
    }
}
