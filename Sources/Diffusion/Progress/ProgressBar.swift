import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A progress display for long loops (training steps, sampling steps):
/// ```
/// train   600/6000   10%  |███▌                          |  1.52k img/s  50s<7m30s  loss=0.0412
/// ```
/// On a terminal the line is redrawn in place on standard error, at most ~10 times a second. When standard
/// error is not a terminal (CI logs, `2> log.txt`), a plain line is printed at every 10% and at least every
/// `plainInterval` seconds instead.
///
/// ```swift
/// let progress = ProgressBar(total: steps, label: "train", itemsPerStep: batchSize)
/// for step in 1...steps { ...; progress.update(step: step, metrics: [("loss", String(format: "%.4f", loss))]) }
/// progress.finish()
/// ```
/// A reference type because it keeps timing state across calls; use it from one thread (it is not `Sendable`).
public final class ProgressBar {
    /// How the progress is shown.
    public enum Style: Sendable {
        /// Redraw in place if standard error is a terminal, else plain lines.
        case automatic
        /// Redraw one line in place with `\r`.
        case interactive
        /// Print a new line every 10% (and every `plainInterval` seconds).
        case plain
    }

    /// Steps in all; a plan revised on the way (`TimeBudgetPlan`) sets it again.
    public var total: Int { didSet { total = max(0, total) } }
    public let label: String
    /// Items processed per step (batch size), to show items per second; 0 shows steps per second.
    public let itemsPerStep: Int
    /// The unit of the rate: `"img"` gives `img/s`.
    public let itemName: String
    /// Most seconds between two plain lines.
    public let plainInterval: Double

    private let interactive: Bool
    private let write: (String) -> Void
    private let clock: () -> Double
    private let start: Double
    private var lastDraw = -Double.infinity
    private var lastPlainDecile = 0
    private var lastPrintedStep = -1
    private var lastStep = 0
    private var lastMetrics: [(String, String)] = []
    private var finished = false

    /// - Parameters:
    ///   - write: where text goes; standard error by default.
    ///   - clock: seconds from an arbitrary origin; the monotonic system clock by default (tests pass their own).
    public init(total: Int, label: String = "", itemsPerStep: Int = 0, itemName: String = "img",
                style: Style = .automatic, plainInterval: Double = 30,
                write: ((String) -> Void)? = nil, clock: (() -> Double)? = nil) {
        self.total = max(0, total)
        self.label = label
        self.itemsPerStep = max(0, itemsPerStep)
        self.itemName = itemName
        self.plainInterval = plainInterval
        switch style {
        case .automatic: interactive = isatty(2) != 0
        case .interactive: interactive = true
        case .plain: interactive = false
        }
        self.write = write ?? { text in FileHandle.standardError.write(Data(text.utf8)) }
        let now = clock ?? { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
        self.clock = now
        self.start = now()
    }

    /// Reports that `step` of `total` steps are done, with extra fields such as `[("loss", "0.0412")]`.
    /// Cheap to call every step: output is throttled.
    public func update(step: Int, metrics: [(String, String)] = []) {
        guard !finished else { return }
        lastStep = min(max(step, 0), total)
        lastMetrics = metrics
        let now = clock()
        if interactive {
            guard now - lastDraw >= 0.1 || lastStep == total else { return }
            lastDraw = now
            write("\r" + fitted(render(now: now, bar: true)) + "\u{1B}[K")
        } else {
            let decile = total > 0 ? lastStep * 10 / total : 0
            guard decile > lastPlainDecile || now - lastDraw >= plainInterval else { return }
            lastPlainDecile = max(lastPlainDecile, decile)
            lastDraw = now
            lastPrintedStep = lastStep
            write(render(now: now, bar: false) + "\n")
        }
    }

    /// Ends the display: draws the final state (with `metrics` if given) and moves to a new line.
    /// Later calls to ``update(step:metrics:)`` and ``finish(metrics:)`` do nothing.
    public func finish(metrics: [(String, String)]? = nil) {
        guard !finished else { return }
        finished = true
        if let metrics { lastMetrics = metrics }
        let now = clock()
        if interactive {
            write("\r" + fitted(render(now: now, bar: true)) + "\u{1B}[K\n")
        } else if lastPrintedStep != lastStep || metrics != nil {
            write(render(now: now, bar: false) + "\n")
        }
    }

    /// `line` cut to the terminal width, so that `\r` returns to the start of a line that did not wrap.
    private func fitted(_ line: String) -> String {
        let columns = ProgressBar.terminalColumns()
        return line.count < columns ? line : String(line.prefix(max(10, columns - 1)))
    }

    /// The width of the terminal on standard error, or of `COLUMNS`, or 100.
    static func terminalColumns() -> Int {
        var size = winsize()
        if ioctl(2, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        if let text = ProcessInfo.processInfo.environment["COLUMNS"], let value = Int(text), value > 0 { return value }
        return 100
    }

    /// The current status line (without `\r` or newline).
    func render(now: Double, bar: Bool) -> String {
        let elapsed = max(0, now - start)
        let perSecond = elapsed > 0 ? Double(lastStep) / elapsed : .nan
        let rate = itemsPerStep > 0
            ? ProgressFormat.rate(perSecond * Double(itemsPerStep), unit: itemName)
            : ProgressFormat.rate(perSecond, unit: "it")
        let fraction = total > 0 ? Double(lastStep) / Double(total) : 0
        return ProgressFormat.line(label: label, step: lastStep, total: total, elapsed: elapsed, rate: rate,
                                   bar: bar ? ProgressFormat.bar(fraction: fraction, width: 30) : "",
                                   metrics: lastMetrics)
    }
}
