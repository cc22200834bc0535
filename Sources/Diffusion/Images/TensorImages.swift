import Foundation
import TensorCore

extension ImageGrid {
    /// A grid of the images in a batch `[N, 1, H, W]` whose values lie in `range`.
    public static func make(_ batch: Tensor, columns: Int, range: ClosedRange<Float>, scale: Int = 3,
                            rowLabels: [String]? = nil, columnLabels: [String]? = nil) -> GrayImage {
        precondition(batch.rank == 4 && batch.shape[1] == 1, "ImageGrid: expected [N, 1, H, W], got \(batch.shape)")
        return make(images: batch.scalars, count: batch.shape[0], height: batch.shape[2], width: batch.shape[3],
                    columns: columns, range: range, scale: scale, rowLabels: rowLabels, columnLabels: columnLabels)
    }
}

/// A loss curve: the raw per-step losses, faint, and their smoothed trend on top.
public func lossCurve(title: String, series: [(name: String, losses: [Float])], logY: Bool = true) -> RGBImage {
    var lines: [LineChart.Series] = []
    for (i, s) in series.enumerated() {
        let color = LineChart.palette[i % LineChart.palette.count]
        let raw = LineChart.Series(name: s.name, values: s.losses.map(Double.init), color: color, lineWidth: 1, opacity: 0.25)
        lines.append(raw)
        lines.append(raw.smoothed(factor: 0.95, name: "\(s.name) (smoothed)", color: color, lineWidth: 2))
    }
    return LineChart(title: title, xLabel: "step", yLabel: logY ? "loss (log scale)" : "loss", series: lines, logY: logY).render(width: 720, height: 420)
}
