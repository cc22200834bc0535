import TensorCore

/// Two numbers for a digit's handwriting, to say how much of it an edit keeps: how much ink (stroke
/// thickness and size) and how far it leans. Both from the image alone, ink-weighted.
public struct DigitStyle: Sendable, Equatable {
    /// Mean ink per pixel in [0, 1] (pixels mapped from [-1, 1]).
    public var ink: Float
    /// Horizontal shift per row going up, -cov(x, y) / var(y) over the ink: positive leans right, as italics.
    public var slant: Float

    /// image: one `[1, H, W]` or `[H, W]` worth of values in [-1, 1], row-major, `side` x `side`.
    public init(pixels: ArraySlice<Float>, side: Int) {
        var (mass, mx, my) = (Float(0), Float(0), Float(0))
        var weights: [Float] = []
        for (i, v) in pixels.enumerated() {
            let w = Swift.min(Swift.max((v + 1) / 2, 0), 1)
            weights.append(w)
            mass += w; mx += w * Float(i % side); my += w * Float(i / side)
        }
        ink = mass / Float(Swift.max(pixels.count, 1))
        guard mass > 0 else { slant = 0; return }
        mx /= mass; my /= mass
        var (cxy, cyy) = (Float(0), Float(0))
        for (i, w) in weights.enumerated() {
            let dx = Float(i % side) - mx, dy = Float(i / side) - my
            cxy += w * dx * dy; cyy += w * dy * dy
        }
        slant = cyy > 0 ? -cxy / cyy : 0
    }

    /// The style of each image of a batch `[N, 1, H, W]`.
    public static func of(_ batch: Tensor) -> [DigitStyle] {
        let side = batch.shape[3], per = batch.count / batch.shape[0], all = batch.scalars
        return (0..<batch.shape[0]).map { DigitStyle(pixels: all[$0 * per..<($0 + 1) * per], side: side) }
    }

    /// Pearson's correlation of two equally long series (0 when either is constant).
    public static func correlation(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count && !a.isEmpty, "correlation: \(a.count) and \(b.count) values")
        let ma = a.reduce(0, +) / Float(a.count), mb = b.reduce(0, +) / Float(b.count)
        var (sab, saa, sbb) = (Float(0), Float(0), Float(0))
        for (x, y) in zip(a, b) { sab += (x - ma) * (y - mb); saa += (x - ma) * (x - ma); sbb += (y - mb) * (y - mb) }
        return saa > 0 && sbb > 0 ? sab / (saa * sbb).squareRoot() : 0
    }
}
