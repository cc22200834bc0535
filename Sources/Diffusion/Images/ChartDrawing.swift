/// Drawing primitives on ``RGBImage`` used by ``LineChart``: clipped rectangles and anti-aliased lines.
extension RGBImage {
    /// Fills the rectangle with top-left corner (`x`, `y`), clipped to the image.
    public mutating func fillRect(x: Int, y: Int, width w: Int, height h: Int, color: RGB) {
        let x0 = max(0, x), y0 = max(0, y), x1 = min(width, x + w), y1 = min(height, y + h)
        guard x0 < x1, y0 < y1 else { return }
        for py in y0..<y1 {
            for px in x0..<x1 { self[px, py] = color }
        }
    }

    /// Draws the outline of a rectangle, one pixel wide.
    public mutating func strokeRect(x: Int, y: Int, width w: Int, height h: Int, color: RGB) {
        fillRect(x: x, y: y, width: w, height: 1, color: color)
        fillRect(x: x, y: y + h - 1, width: w, height: 1, color: color)
        fillRect(x: x, y: y, width: 1, height: h, color: color)
        fillRect(x: x + w - 1, y: y, width: 1, height: h, color: color)
    }

    /// Mixes `color` into pixel (`x`, `y`) with weight `coverage` (0...1), if the pixel is inside `clip`.
    mutating func blend(x: Int, y: Int, color: RGB, coverage: Double, clip: ClipRect) {
        guard coverage > 0, x >= clip.x0, x < clip.x1, y >= clip.y0, y < clip.y1 else { return }
        self[x, y] = self[x, y].blended(with: color, amount: coverage)
    }

    /// Draws an anti-aliased line between two points given in (fractional) pixel coordinates, with
    /// Xiaolin Wu's algorithm: each step along the major axis shares the ink between the two nearest pixels.
    /// `width` > 1 draws parallel lines one pixel apart; `opacity` scales the ink.
    public mutating func drawLine(from start: (x: Double, y: Double), to end: (x: Double, y: Double),
                                  color: RGB, width: Int = 1, opacity: Double = 1) {
        drawLine(from: start, to: end, color: color, width: width, opacity: opacity,
                 clip: ClipRect(x0: 0, y0: 0, x1: self.width, y1: height))
    }

    mutating func drawLine(from start: (x: Double, y: Double), to end: (x: Double, y: Double),
                           color: RGB, width: Int, opacity: Double, clip: ClipRect) {
        guard start.x.isFinite, start.y.isFinite, end.x.isFinite, end.y.isFinite else { return }
        let steep = abs(end.y - start.y) > abs(end.x - start.x)
        for line in 0..<max(1, width) {
            let shift = Double(line) - Double(max(1, width) - 1) / 2
            var (x0, y0, x1, y1) = steep ? (start.y, start.x + shift, end.y, end.x + shift)
                                         : (start.x, start.y + shift, end.x, end.y + shift)
            if x0 > x1 { swap(&x0, &x1); swap(&y0, &y1) }
            // Lines are clipped to the image (or plot area) anyway; bound the loop for absurd coordinates.
            guard x1 - x0 < 1e5 else { continue }
            let gradient = x1 - x0 == 0 ? 1 : (y1 - y0) / (x1 - x0)

            func plot(_ major: Int, _ minor: Int, _ coverage: Double) {
                if steep {
                    blend(x: minor, y: major, color: color, coverage: coverage * opacity, clip: clip)
                } else {
                    blend(x: major, y: minor, color: color, coverage: coverage * opacity, clip: clip)
                }
            }
            func fraction(_ v: Double) -> Double { v - v.rounded(.down) }

            let startMajor = x0.rounded()
            let startMinor = y0 + gradient * (startMajor - x0)
            let startGap = 1 - fraction(x0 + 0.5)
            plot(Int(startMajor), Int(startMinor.rounded(.down)), (1 - fraction(startMinor)) * startGap)
            plot(Int(startMajor), Int(startMinor.rounded(.down)) + 1, fraction(startMinor) * startGap)

            let endMajor = x1.rounded()
            let endMinor = y1 + gradient * (endMajor - x1)
            let endGap = fraction(x1 + 0.5)
            plot(Int(endMajor), Int(endMinor.rounded(.down)), (1 - fraction(endMinor)) * endGap)
            plot(Int(endMajor), Int(endMinor.rounded(.down)) + 1, fraction(endMinor) * endGap)

            var minor = startMinor + gradient
            var major = Int(startMajor) + 1
            while major < Int(endMajor) {
                plot(major, Int(minor.rounded(.down)), 1 - fraction(minor))
                plot(major, Int(minor.rounded(.down)) + 1, fraction(minor))
                minor += gradient
                major += 1
            }
        }
    }
}

/// A half-open pixel rectangle that drawing is restricted to.
struct ClipRect {
    var x0: Int, y0: Int, x1: Int, y1: Int
}
