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

extension ImageGrid {
    /// A grid of color images `[N, 3, H, W]` (R, G, B planes) in `range`: each plane is laid out as a gray grid
    /// (same padding and labels), and the three are interleaved into one RGB image.
    public static func makeColor(_ batch: Tensor, columns: Int, range: ClosedRange<Float>, scale: Int = 3,
                                 rowLabels: [String]? = nil, columnLabels: [String]? = nil) -> RGBImage {
        precondition(batch.rank == 4 && batch.shape[1] == 3, "ImageGrid.makeColor: expected [N, 3, H, W], got \(batch.shape)")
        let planes = (0..<3).map { c in
            make(batch.narrow(axis: 1, start: c, length: 1), columns: columns, range: range, scale: scale,
                 rowLabels: rowLabels, columnLabels: columnLabels)
        }
        var pixels = [UInt8](repeating: 0, count: planes[0].pixels.count * 3)
        for c in 0..<3 {
            for (i, v) in planes[c].pixels.enumerated() { pixels[3 * i + c] = v }
        }
        return RGBImage(width: planes[0].width, height: planes[0].height, pixels: pixels)
    }

    /// A grid of a batch with 1 channel (gray) or 3 (color), as RGB either way, for writing one kind of PNG.
    public static func picture(_ batch: Tensor, columns: Int, range: ClosedRange<Float>, scale: Int = 3,
                               rowLabels: [String]? = nil, columnLabels: [String]? = nil) -> RGBImage {
        batch.shape[1] == 3 ? makeColor(batch, columns: columns, range: range, scale: scale, rowLabels: rowLabels, columnLabels: columnLabels)
            : make(batch, columns: columns, range: range, scale: scale, rowLabels: rowLabels, columnLabels: columnLabels).rgb()
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
