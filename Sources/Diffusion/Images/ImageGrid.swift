/// Lays out many small grayscale images (samples, denoising steps, a dataset preview) as one grid image,
/// with optional row and column labels in the built-in ``BitmapFont``.
///
/// ```swift
/// let grid = ImageGrid.make(images: samples, count: 64, height: 28, width: 28, columns: 8,
///                           range: -1...1, scale: 2)
/// try grid.writePNG(to: URL(fileURLWithPath: "samples.png"))
/// ```
public enum ImageGrid {
    /// Builds the grid.
    ///
    /// - Parameters:
    ///   - images: `count` images of `height * width` floats each, one after another (a `[count, 1, h, w]` tensor).
    ///   - columns: images per row; rows are added as needed.
    ///   - range: the values shown as black (lower bound) and white (upper bound); values outside are clipped,
    ///     NaN is shown black.
    ///   - scale: each image pixel becomes a `scale` x `scale` block (nearest-neighbour upscaling).
    ///   - padding: pixels of `background` around and between images.
    ///   - background: gray level of the padding and label margins. Labels are drawn white on a dark
    ///     background and black on a light one.
    ///   - rowLabels, columnLabels: text left of each row / above each column (extra labels are ignored).
    ///   - labelScale: size multiplier of the 5x7 font.
    /// - Precondition: `height`, `width`, `columns`, `scale` are positive, `count` and `padding` are not
    ///   negative, and `images.count >= count * height * width`.
    public static func make(images: [Float], count: Int, height: Int, width: Int, columns: Int,
                            range: ClosedRange<Float>, scale: Int = 1, padding: Int = 2, background: UInt8 = 40,
                            rowLabels: [String]? = nil, columnLabels: [String]? = nil,
                            labelScale: Int = 1) -> GrayImage {
        precondition(height > 0 && width > 0 && columns > 0 && scale > 0 && labelScale > 0,
                     "ImageGrid: sizes, columns and scales must be positive")
        precondition(count >= 0 && padding >= 0, "ImageGrid: count and padding must not be negative")
        precondition(images.count >= count * height * width,
                     "ImageGrid: \(images.count) values cannot hold \(count) images of \(height)x\(width)")

        let rows = (count + columns - 1) / columns
        let cellWidth = width * scale, cellHeight = height * scale
        let textHeight = BitmapFont.glyphHeight * labelScale
        let rowLabelWidth = (rowLabels ?? []).map { BitmapFont.width(of: $0, scale: labelScale) }.max() ?? 0
        let left = rowLabelWidth > 0 ? padding + rowLabelWidth : 0
        let top = (columnLabels ?? []).isEmpty ? 0 : padding + textHeight

        var grid = GrayImage(width: left + padding + columns * (cellWidth + padding),
                             height: top + padding + rows * (cellHeight + padding),
                             fill: background)
        func origin(row: Int, column: Int) -> (x: Int, y: Int) {
            (left + padding + column * (cellWidth + padding), top + padding + row * (cellHeight + padding))
        }

        let gridWidth = grid.width
        grid.pixels.withUnsafeMutableBufferPointer { out in
            images.withUnsafeBufferPointer { source in
                for index in 0..<count {
                    let (x0, y0) = origin(row: index / columns, column: index % columns)
                    let base = index * height * width
                    for y in 0..<cellHeight {
                        let sourceRow = base + (y / scale) * width
                        let outRow = (y0 + y) * gridWidth + x0
                        for x in 0..<cellWidth {
                            out[outRow + x] = gray(source[sourceRow + x / scale], range: range)
                        }
                    }
                }
            }
        }

        let ink: UInt8 = background < 128 ? 255 : 0
        for (row, label) in (rowLabels ?? []).prefix(rows).enumerated() {
            let (_, y0) = origin(row: row, column: 0)
            grid.drawText(label, x: padding, y: y0 + (cellHeight - textHeight) / 2, scale: labelScale, value: ink)
        }
        for (column, label) in (columnLabels ?? []).prefix(columns).enumerated() {
            let (x0, _) = origin(row: 0, column: column)
            let textWidth = BitmapFont.width(of: label, scale: labelScale)
            grid.drawText(label, x: x0 + (cellWidth - textWidth) / 2, y: padding, scale: labelScale, value: ink)
        }
        return grid
    }

    /// The same from 8-bit images (e.g. a dataset preview straight from ``MNIST/images``), shown as stored.
    public static func make(bytes: [UInt8], count: Int, height: Int, width: Int, columns: Int,
                            scale: Int = 1, padding: Int = 2, background: UInt8 = 40,
                            rowLabels: [String]? = nil, columnLabels: [String]? = nil,
                            labelScale: Int = 1) -> GrayImage {
        make(images: bytes.prefix(count * height * width).map(Float.init), count: count, height: height,
             width: width, columns: columns, range: 0...255, scale: scale, padding: padding,
             background: background, rowLabels: rowLabels, columnLabels: columnLabels, labelScale: labelScale)
    }

    /// Maps `value` linearly from `range` to 0...255, clipping; NaN maps to 0.
    @inlinable
    public static func gray(_ value: Float, range: ClosedRange<Float>) -> UInt8 {
        let span = range.upperBound - range.lowerBound
        guard span > 0 else { return value >= range.upperBound ? 255 : 0 }
        let t = (value - range.lowerBound) / span
        guard t == t else { return 0 }  // NaN
        return UInt8(min(max(t, 0), 1) * 255 + 0.5)
    }
}
