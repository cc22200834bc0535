import Foundation
import TensorCore

/// An 8-bit RGB image: pixel (x, y) is `pixels[3 * (y * width + x) ..< +3]`.
public struct RGBImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public var pixels: [UInt8]

    /// An image filled with one color.
    /// - Precondition: `width >= 0` and `height >= 0`.
    public init(width: Int, height: Int, fill: RGB = .white) {
        precondition(width >= 0 && height >= 0, "RGBImage: negative size \(width)x\(height)")
        self.width = width
        self.height = height
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for i in 0..<(width * height) {
            pixels[3 * i] = fill.r
            pixels[3 * i + 1] = fill.g
            pixels[3 * i + 2] = fill.b
        }
        self.pixels = pixels
    }

    /// An image with the given interleaved RGB bytes.
    /// - Precondition: `pixels.count == width * height * 3`.
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width >= 0 && height >= 0 && pixels.count == width * height * 3,
                     "RGBImage: \(pixels.count) bytes do not make \(width)x\(height) RGB")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// The color at column `x`, row `y`.
    public subscript(x: Int, y: Int) -> RGB {
        get {
            let i = 3 * (y * width + x)
            return RGB(pixels[i], pixels[i + 1], pixels[i + 2])
        }
        set {
            let i = 3 * (y * width + x)
            pixels[i] = newValue.r
            pixels[i + 1] = newValue.g
            pixels[i + 2] = newValue.b
        }
    }

    /// The image encoded as PNG file bytes.
    public func pngData() throws(PNGError) -> Data {
        try PNGCodec.encode(width: width, height: height, layout: .rgb, pixels: pixels, source: "<memory>")
    }

    /// Writes the image as a PNG file, atomically (temporary file, then rename).
    public func writePNG(to url: URL) throws(PNGError) {
        let data = try PNGCodec.encode(width: width, height: height, layout: .rgb, pixels: pixels, source: url.displayPath)
        try PNGCodec.writeFile(data, to: url)
    }

    /// Decodes PNG bytes of any color type, converting to 8-bit RGB.
    public init(pngData data: Data, source: String = "<memory>") throws(PNGError) {
        let decoded = try PNGCodec.decode(data, layout: .rgb, source: source)
        self.init(width: decoded.width, height: decoded.height, pixels: decoded.pixels)
    }

    /// Reads a PNG file of any color type, converting to 8-bit RGB.
    /// - Throws: ``PNGError``: not a PNG, truncated, absurd dimensions, or a libpng error.
    public static func readPNG(contentsOf url: URL) throws(PNGError) -> RGBImage {
        try RGBImage(pngData: try PNGCodec.readFile(url), source: url.displayPath)
    }
}

/// An 8-bit RGB color.
public struct RGB: Sendable, Equatable, Hashable {
    public var r: UInt8
    public var g: UInt8
    public var b: UInt8

    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) {
        self.r = r
        self.g = g
        self.b = b
    }

    public static let white = RGB(255, 255, 255)
    public static let black = RGB(0, 0, 0)

    /// This color mixed with `other`: `amount` 0 gives self, 1 gives `other`.
    public func blended(with other: RGB, amount: Double) -> RGB {
        let t = max(0, min(1, amount))
        func mix(_ a: UInt8, _ b: UInt8) -> UInt8 { UInt8((Double(a) * (1 - t) + Double(b) * t).rounded()) }
        return RGB(mix(r, other.r), mix(g, other.g), mix(b, other.b))
    }
}
