import Foundation

/// A line chart rendered to an ``RGBImage``: axes with numeric ticks, grid, title, axis labels and a legend,
/// optionally with a logarithmic y axis. Made for training curves:
/// ```swift
/// let raw = LineChart.Series(name: "loss", values: losses, color: RGB(160, 190, 230))
/// let chart = LineChart(title: "Training loss", xLabel: "step", yLabel: "MSE",
///                       series: [raw, raw.smoothed(name: "loss (EMA)")], logY: true)
/// try chart.render(width: 640, height: 400).writePNG(to: URL(fileURLWithPath: "loss.png"))
/// ```
public struct LineChart: Sendable {
    /// One named line.
    public struct Series: Sendable {
        public var name: String
        public var points: [(x: Double, y: Double)]
        /// Line color; `nil` takes the next color of ``LineChart/palette``.
        public var color: RGB?
        /// Line width in pixels.
        public var lineWidth: Int
        /// 0...1; a lighter raw curve under a smoothed one reads well.
        public var opacity: Double

        public init(name: String, points: [(Double, Double)], color: RGB? = nil, lineWidth: Int = 1, opacity: Double = 1) {
            self.name = name
            self.points = points.map { (x: $0.0, y: $0.1) }
            self.color = color
            self.lineWidth = lineWidth
            self.opacity = opacity
        }

        /// A series whose x values are 0, 1, 2, ... (e.g. one loss value per step).
        public init(name: String, values: [Double], color: RGB? = nil, lineWidth: Int = 1, opacity: Double = 1) {
            self.init(name: name, points: values.enumerated().map { (Double($0.offset), $0.element) },
                      color: color, lineWidth: lineWidth, opacity: opacity)
        }

        /// The exponential moving average of this series (see ``LineChart/exponentialMovingAverage(_:factor:)``),
        /// drawn 2 pixels wide by default.
        public func smoothed(factor: Double = 0.98, name: String? = nil, color: RGB? = nil, lineWidth: Int = 2) -> Series {
            let ys = LineChart.exponentialMovingAverage(points.map(\.y), factor: factor)
            return Series(name: name ?? "\(self.name) (EMA)", points: zip(points, ys).map { ($0.x, $1) },
                          color: color, lineWidth: lineWidth)
        }
    }

    /// Colors given to series without one (blue, orange, green, red, purple, brown).
    public static let palette: [RGB] = [
        RGB(31, 119, 180), RGB(255, 127, 14), RGB(44, 160, 44), RGB(214, 39, 40), RGB(148, 103, 189), RGB(140, 86, 75),
    ]

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    /// Plot y on a log scale; points with y <= 0 are then left out.
    public var logY: Bool

    public init(title: String = "", xLabel: String = "", yLabel: String = "", series: [Series], logY: Bool = false) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.logY = logY
    }

    /// Exponential moving average with bias correction (as TensorBoard smooths curves):
    /// `m = factor * m + (1 - factor) * v`, reported as `m / (1 - factor^n)`. Non-finite values are skipped
    /// (the previous average is repeated).
    public static func exponentialMovingAverage(_ values: [Double], factor: Double) -> [Double] {
        let f = min(max(factor, 0), 0.999_999)
        var average = 0.0, weight = 0.0
        return values.map { value in
            if value.isFinite {
                average = f * average + (1 - f) * value
                weight = f * weight + (1 - f)
            }
            return weight > 0 ? average / weight : .nan
        }
    }

    /// Draws the chart. Sizes below 120 x 80 are raised to that.
    public func render(width: Int = 640, height: Int = 400) -> RGBImage {
        let width = max(width, 120), height = max(height, 80)
        var image = RGBImage(width: width, height: height, fill: .white)
        let ink = RGB(40, 40, 40), gridColor = RGB(230, 230, 230), axisColor = RGB(90, 90, 90)

        // Data ranges, in plotted coordinates (log10 of y on a log axis).
        let usable = series.map { line in
            line.points.filter { $0.x.isFinite && $0.y.isFinite && (!logY || $0.y > 0) }
        }
        let all = usable.flatMap { $0 }
        let ys = all.map { logY ? log10($0.y) : $0.y }
        var (xLow, xHigh) = (all.map(\.x).min() ?? 0, all.map(\.x).max() ?? 1)
        var (yLow, yHigh) = (ys.min() ?? 0, ys.max() ?? 1)
        if xHigh <= xLow { (xLow, xHigh) = (xLow - 0.5, xHigh + 0.5) }
        if yHigh <= yLow {
            let pad = max(abs(yLow) * 0.1, logY ? 0.1 : 1e-6)
            (yLow, yHigh) = (yLow - pad, yHigh + pad)
        }
        let yPad = (yHigh - yLow) * 0.05
        (yLow, yHigh) = (yLow - yPad, yHigh + yPad)

        // Ticks and their labels.
        let xTicks = ChartAxis.linearTicks(low: xLow, high: xHigh, target: max(3, width / 75))
        let xLabels = xTicks.values.map { ChartAxis.label($0, step: xTicks.step) }
        let yTickValues: [Double]
        let yLabels: [String]
        if logY {
            yTickValues = ChartAxis.logTicks(low: pow(10, yLow), high: pow(10, yHigh)).map(log10)
            yLabels = yTickValues.map { ChartAxis.label(pow(10, $0), step: 0) }
        } else {
            let ticks = ChartAxis.linearTicks(low: yLow, high: yHigh, target: max(2, height / 60))
            yTickValues = ticks.values
            yLabels = ticks.values.map { ChartAxis.label($0, step: ticks.step) }
        }

        // Layout: title and y label on top, tick labels left and below, x label at the bottom.
        let glyph = BitmapFont.glyphHeight
        var top = 10
        if !title.isEmpty { top += 2 * glyph + 8 }
        if !yLabel.isEmpty { top += glyph + 6 }
        let left = 10 + (yLabels.map { BitmapFont.width(of: $0) }.max() ?? 0) + 6
        let bottom = 6 + glyph + 6 + (xLabel.isEmpty ? 0 : glyph + 8) + 4
        let right = 16 + BitmapFont.width(of: xLabels.last ?? "") / 2
        let plot = ClipRect(x0: left, y0: top, x1: max(left + 20, width - right), y1: max(top + 20, height - bottom))
        let plotWidth = Double(plot.x1 - plot.x0 - 1), plotHeight = Double(plot.y1 - plot.y0 - 1)
        func px(_ x: Double) -> Double { Double(plot.x0) + (x - xLow) / (xHigh - xLow) * plotWidth }
        func py(_ y: Double) -> Double { Double(plot.y1 - 1) - (y - yLow) / (yHigh - yLow) * plotHeight }

        // Grid, ticks, tick labels.
        for (value, label) in zip(xTicks.values, xLabels) {
            let x = Int(px(value).rounded())
            image.fillRect(x: x, y: plot.y0, width: 1, height: plot.y1 - plot.y0, color: gridColor)
            image.fillRect(x: x, y: plot.y1, width: 1, height: 4, color: axisColor)
            image.drawText(label, x: x - BitmapFont.width(of: label) / 2, y: plot.y1 + 6, color: ink)
        }
        for (value, label) in zip(yTickValues, yLabels) {
            let y = Int(py(value).rounded())
            image.fillRect(x: plot.x0, y: y, width: plot.x1 - plot.x0, height: 1, color: gridColor)
            image.fillRect(x: plot.x0 - 4, y: y, width: 4, height: 1, color: axisColor)
            image.drawText(label, x: plot.x0 - 6 - BitmapFont.width(of: label), y: y - glyph / 2, color: ink)
        }

        // The lines, clipped to the plot area.
        let colors = series.indices.map { series[$0].color ?? LineChart.palette[$0 % LineChart.palette.count] }
        for (index, line) in series.enumerated() {
            var previous: (x: Double, y: Double)?
            for point in line.points {
                guard point.x.isFinite, point.y.isFinite, !logY || point.y > 0 else { previous = nil; continue }
                let current = (x: px(point.x), y: py(logY ? log10(point.y) : point.y))
                image.drawLine(from: previous ?? current, to: current, color: colors[index],
                               width: line.lineWidth, opacity: line.opacity, clip: plot)
                previous = current
            }
        }

        // Axes, labels, title.
        image.fillRect(x: plot.x0, y: plot.y0, width: 1, height: plot.y1 - plot.y0, color: axisColor)
        image.fillRect(x: plot.x0, y: plot.y1 - 1, width: plot.x1 - plot.x0, height: 1, color: axisColor)
        if all.isEmpty {
            image.drawText("no data", x: (plot.x0 + plot.x1 - BitmapFont.width(of: "no data")) / 2,
                           y: (plot.y0 + plot.y1) / 2, color: ink)
        }
        if !title.isEmpty {
            image.drawText(title, x: (width - BitmapFont.width(of: title, scale: 2)) / 2, y: 8, scale: 2, color: ink)
        }
        if !yLabel.isEmpty { image.drawText(yLabel, x: max(2, plot.x0 - 6 - BitmapFont.width(of: yLabel) / 2), y: plot.y0 - glyph - 6, color: ink) }
        if !xLabel.isEmpty {
            image.drawText(xLabel, x: (plot.x0 + plot.x1 - BitmapFont.width(of: xLabel)) / 2,
                           y: plot.y1 + 6 + glyph + 8, color: ink)
        }
        drawLegend(on: &image, colors: colors, plot: plot, ink: ink)
        return image
    }

    /// A boxed legend in the top-right corner of the plot area, for series with a name.
    private func drawLegend(on image: inout RGBImage, colors: [RGB], plot: ClipRect, ink: RGB) {
        let named = series.indices.filter { !series[$0].name.isEmpty }
        guard !named.isEmpty else { return }
        let rowHeight = BitmapFont.glyphHeight + 5, swatch = 16
        let boxWidth = 8 + swatch + 6 + (named.map { BitmapFont.width(of: series[$0].name) }.max() ?? 0) + 8
        let boxHeight = 6 + named.count * rowHeight + 1
        let x = plot.x1 - boxWidth - 8, y = plot.y0 + 8
        image.fillRect(x: x, y: y, width: boxWidth, height: boxHeight, color: .white)
        image.strokeRect(x: x, y: y, width: boxWidth, height: boxHeight, color: RGB(190, 190, 190))
        for (row, index) in named.enumerated() {
            let rowTop = y + 5 + row * rowHeight
            let middle = Double(rowTop + BitmapFont.glyphHeight / 2)
            image.drawLine(from: (Double(x + 8), middle), to: (Double(x + 8 + swatch), middle),
                           color: colors[index], width: max(2, series[index].lineWidth), opacity: max(series[index].opacity, 0.35))
            image.drawText(series[index].name, x: x + 8 + swatch + 6, y: rowTop, color: ink)
        }
    }
}
