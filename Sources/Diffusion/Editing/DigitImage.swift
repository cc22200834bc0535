import Foundation
import TensorCore

/// Which way round the ink is in a picture to edit. MNIST (and so the model) is white ink on black.
public enum InkPolarity: String, Sendable, CaseIterable, Codable {
    /// Decide from the border: a light border (mean of the outermost pixels above mid-gray) means dark ink on
    /// a light background, as a drawing on paper or a scan, and the picture is inverted.
    case auto
    /// White (light) ink on black, as MNIST: used as it is.
    case light
    /// Black (dark) ink on white: inverted.
    case dark
}

/// Turns a picture of a digit of any size into what the model edits: `[1, 1, 28, 28]` in [-1, 1], white ink on
/// black, and optionally framed as MNIST frames its digits (the ink's bounding box scaled to fit 20x20, its
/// centre of mass put at the centre of the 28x28 image; LeCun et al.'s preprocessing).
/// Explained in Chapters/06-Guidance.md ("Editing").
public enum DigitImage {
    /// MNIST's side and the box its digits are scaled into.
    public static let side = 28
    public static let box = 20

    /// Reads a PNG (any size, any color type: color is converted to gray, alpha composited on black).
    /// - Throws: ``PNGError`` naming the file.
    public static func load(contentsOf url: URL, polarity: InkPolarity = .auto, fit: Bool = true) throws(PNGError) -> Tensor {
        tensor(from: try GrayImage.readPNG(contentsOf: url), polarity: polarity, fit: fit)
    }

    /// A gray image -> `[1, 1, 28, 28]` in [-1, 1] (ink +1, background -1).
    public static func tensor(from image: GrayImage, polarity: InkPolarity = .auto, fit: Bool = true) -> Tensor {
        let ink = inkPlane(image, polarity: polarity)
        let plane = fit ? framed(ink, width: image.width, height: image.height, fill: 0).plane
                        : resized(ink, width: image.width, height: image.height, fill: 0)
        return Tensor(shape: [1, 1, side, side], scalars: plane.map { $0 * 2 - 1 })
    }

    /// A picture and a mask of the same size -> the image `[1, 1, 28, 28]` and the known-pixel mask `[1, 1, 28, 28]`
    /// (1: keep, 0: to be filled), both through the same framing. In the mask PNG, white (above mid-gray)
    /// marks the pixels to fill, as in diffusers' inpainting pipelines.
    public static func imageAndMask(_ image: GrayImage, mask: GrayImage, polarity: InkPolarity = .auto, fit: Bool = true) -> (image: Tensor, known: Tensor)? {
        guard image.width == mask.width && image.height == mask.height else { return nil }
        let ink = inkPlane(image, polarity: polarity)
        let keep = mask.pixels.map { $0 > 127 ? Float(0) : 1 }
        let (plane, knownPlane): ([Float], [Float])
        if fit {
            let (p, frame) = framed(ink, width: image.width, height: image.height, fill: 0)
            plane = p
            knownPlane = frame.apply(keep, width: image.width, fill: 1)
        } else {
            plane = resized(ink, width: image.width, height: image.height, fill: 0)
            knownPlane = resized(keep, width: image.width, height: image.height, fill: 1)
        }
        return (Tensor(shape: [1, 1, side, side], scalars: plane.map { $0 * 2 - 1 }),
                Tensor(shape: [1, 1, side, side], scalars: knownPlane.map { $0 >= 0.5 ? 1 : 0 }))
    }

    /// Ink in [0, 1] (1: full ink), one value per pixel, after deciding the polarity.
    static func inkPlane(_ image: GrayImage, polarity: InkPolarity) -> [Float] {
        let values = image.pixels.map { Float($0) / 255 }
        let invert: Bool
        switch polarity {
        case .light: invert = false
        case .dark: invert = true
        case .auto:
            var border: [Float] = []
            for x in 0..<image.width { border.append(values[x]); border.append(values[(image.height - 1) * image.width + x]) }
            for y in 0..<image.height { border.append(values[y * image.width]); border.append(values[y * image.width + image.width - 1]) }
            invert = border.reduce(0, +) / Float(border.count) > 0.5
        }
        return invert ? values.map { 1 - $0 } : values
    }

    /// Where a picture's square crop lands in the 28x28 image.
    struct Frame {
        /// The crop: a square of `size` source pixels with its top-left corner at (x, y) (may reach outside).
        var x: Double, y: Double, size: Double
        /// It becomes `box` x `box` output pixels with the top-left corner at (dx, dy).
        var box: Int, dx: Int, dy: Int

        /// The source plane resampled through the frame; `fill` outside the picture and the box.
        func apply(_ plane: [Float], width: Int, fill: Float) -> [Float] {
            let height = plane.count / width
            let inner = DigitImage.areaResample(plane, width: width, height: height, x: x, y: y, size: size, to: box, fill: fill)
            var out = [Float](repeating: fill, count: DigitImage.side * DigitImage.side)
            for r in 0..<box {
                for c in 0..<box {
                    let (oy, ox) = (r + dy, c + dx)
                    if (0..<DigitImage.side).contains(oy) && (0..<DigitImage.side).contains(ox) { out[oy * DigitImage.side + ox] = inner[r * box + c] }
                }
            }
            return out
        }
    }

    /// MNIST's framing of the ink plane: bounding box of the ink (pixels above 0.2) as a centred square,
    /// scaled to 20x20, then shifted so the centre of mass sits at (14, 14) (kept inside the image).
    static func framed(_ ink: [Float], width: Int, height: Int, fill: Float) -> (plane: [Float], frame: Frame) {
        var (minX, minY, maxX, maxY) = (width, height, -1, -1)
        for y in 0..<height {
            for x in 0..<width where ink[y * width + x] > 0.2 {
                minX = min(minX, x); maxX = max(maxX, x); minY = min(minY, y); maxY = max(maxY, y)
            }
        }
        guard maxX >= 0 else {
            // No ink: the whole picture, squared.
            let size = Double(max(width, height))
            let frame = Frame(x: (Double(width) - size) / 2, y: (Double(height) - size) / 2, size: size, box: side, dx: 0, dy: 0)
            return (frame.apply(ink, width: width, fill: fill), frame)
        }
        let w = Double(maxX - minX + 1), h = Double(maxY - minY + 1), size = max(w, h)
        var frame = Frame(x: Double(minX) - (size - w) / 2, y: Double(minY) - (size - h) / 2, size: size, box: box,
                          dx: (side - box) / 2, dy: (side - box) / 2)
        let first = frame.apply(ink, width: width, fill: fill)
        // centre of mass of the framed ink -> (14, 14)
        var (mass, mx, my) = (Float(0), Float(0), Float(0))
        for y in 0..<side { for x in 0..<side { let v = first[y * side + x]; mass += v; mx += v * Float(x); my += v * Float(y) } }
        if mass > 0 {
            let shiftX = Int((Float(side) / 2 - 0.5 - mx / mass).rounded()), shiftY = Int((Float(side) / 2 - 0.5 - my / mass).rounded())
            frame.dx = min(max(frame.dx + shiftX, 0), side - box)
            frame.dy = min(max(frame.dy + shiftY, 0), side - box)
        }
        return (frame.apply(ink, width: width, fill: fill), frame)
    }

    /// The whole picture to 28x28 (no framing): squared by padding with `fill`, then area-averaged.
    static func resized(_ plane: [Float], width: Int, height: Int, fill: Float) -> [Float] {
        let size = Double(max(width, height))
        return areaResample(plane, width: width, height: height, x: (Double(width) - size) / 2, y: (Double(height) - size) / 2,
                            size: size, to: side, fill: fill)
    }

    /// Box-filter resampling of the square [x, x + size) x [y, y + size) of `plane` to `n` x `n`: each output pixel
    /// is the mean of the source area it covers (fractional pixels weighted by their overlap; `fill` outside).
    static func areaResample(_ plane: [Float], width: Int, height: Int, x: Double, y: Double, size: Double, to n: Int, fill: Float) -> [Float] {
        let step = size / Double(n)
        /// Overlaps of output cell i along one axis with the source pixels: (pixel, weight) pairs.
        func spans(_ origin: Double) -> [[(Int, Double)]] {
            (0..<n).map { i in
                let a = origin + Double(i) * step, b = a + step
                return (Int(floor(a))..<Int(ceil(b))).map { p in (p, min(b, Double(p + 1)) - max(a, Double(p))) }.filter { $0.1 > 0 }
            }
        }
        let xs = spans(x), ys = spans(y)
        var out = [Float](repeating: 0, count: n * n)
        for r in 0..<n {
            for c in 0..<n {
                var sum = 0.0, area = 0.0
                for (py, wy) in ys[r] {
                    for (px, wx) in xs[c] {
                        let inside = (0..<height).contains(py) && (0..<width).contains(px)
                        sum += (inside ? Double(plane[py * width + px]) : Double(fill)) * wx * wy
                        area += wx * wy
                    }
                }
                out[r * n + c] = area > 0 ? Float(sum / area) : fill
            }
        }
        return out
    }
}
