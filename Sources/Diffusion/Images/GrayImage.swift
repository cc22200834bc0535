import Foundation
import TensorCore

/// An 8-bit grayscale image: `pixels[y * width + x]`, 0 = black, 255 = white.
public struct GrayImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public var pixels: [UInt8]

    /// An image filled with one value.
    /// - Precondition: `width >= 0` and `height >= 0`.
    public init(width: Int, height: Int, fill: UInt8 = 0) {
        precondition(width >= 0 && height >= 0, "GrayImage: negative size \(width)x\(height)")
        self.width = width
        self.height = height
        self.pixels = [UInt8](repeating: fill, count: width * height)
    }

    /// An image with the given pixels.
    /// - Precondition: `pixels.count == width * height`.
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width >= 0 && height >= 0 && pixels.count == width * height,
                     "GrayImage: \(pixels.count) pixels do not make \(width)x\(height)")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// The pixel at column `x`, row `y`.
    public subscript(x: Int, y: Int) -> UInt8 {
        get { pixels[y * width + x] }
        set { pixels[y * width + x] = newValue }
    }

    /// The image encoded as PNG file bytes.
    public func pngData() throws(PNGError) -> Data {
        try PNGCodec.encode(width: width, height: height, layout: .gray, pixels: pixels, source: "<memory>")
    }

    /// Writes the image as a PNG file, atomically (temporary file, then rename).
    public func writePNG(to url: URL) throws(PNGError) {
        let data = try PNGCodec.encode(width: width, height: height, layout: .gray, pixels: pixels, source: url.displayPath)
        try PNGCodec.writeFile(data, to: url)
    }

    /// Decodes PNG bytes of any color type, converting to 8-bit gray.
    public init(pngData data: Data, source: String = "<memory>") throws(PNGError) {
        let decoded = try PNGCodec.decode(data, layout: .gray, source: source)
        self.init(width: decoded.width, height: decoded.height, pixels: decoded.pixels)
    }

    /// Reads a PNG file of any color type, converting to 8-bit gray.
    /// - Throws: ``PNGError``: not a PNG, truncated, absurd dimensions, or a libpng error.
    public static func readPNG(contentsOf url: URL) throws(PNGError) -> GrayImage {
        try GrayImage(pngData: try PNGCodec.readFile(url), source: url.displayPath)
    }

    /// Each gray value repeated as R, G and B.
    public func rgb() -> RGBImage {
        var rgb = [UInt8](repeating: 0, count: pixels.count * 3)
        for (i, value) in pixels.enumerated() {
            rgb[3 * i] = value
            rgb[3 * i + 1] = value
            rgb[3 * i + 2] = value
        }
        return RGBImage(width: width, height: height, pixels: rgb)
    }
}
