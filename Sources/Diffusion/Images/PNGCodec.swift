import CPNG
import Foundation
import TensorCore

/// PNG encoding and decoding of 8-bit gray and RGB pixels through libpng's "simplified" `png_image` API.
///
/// The simplified API reports errors through a flag and a message in `png_image`; the classic libpng API
/// uses `setjmp`/`longjmp`, which Swift cannot use safely. ``GrayImage`` and ``RGBImage`` call this.
public enum PNGCodec {
    /// Largest width or height accepted when reading.
    public static let maxSide = 1 << 15
    /// Largest pixel count accepted when reading (64 Mpixels).
    public static let maxPixels = 1 << 26

    /// The 8 bytes every PNG file starts with.
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// The pixel layouts used here.
    enum Layout {
        case gray, rgb

        var format: UInt32 { self == .gray ? UInt32(PNG_FORMAT_GRAY) : UInt32(PNG_FORMAT_RGB) }
        var channels: Int { self == .gray ? 1 : 3 }
    }

    /// PNG file bytes for `pixels` (row-major, `channels` bytes per pixel, no padding).
    static func encode(width: Int, height: Int, layout: Layout, pixels: [UInt8], source: String) throws(PNGError) -> Data {
        guard width > 0, height > 0, width <= maxSide, height <= maxSide,
              pixels.count == width * height * layout.channels
        else { throw PNGError(source: source, reason: .absurdDimensions(width: width, height: height)) }

        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = UInt32(width)
        image.height = UInt32(height)
        image.format = layout.format
        let stride = Int32(width * layout.channels)

        // First call measures the encoded size, the second writes into a buffer of that size.
        var size = 0
        let measured = pixels.withUnsafeBytes { raw in
            png_image_write_to_memory(&image, nil, &size, 0, raw.baseAddress, stride, nil)
        }
        guard measured != 0, size > 0 else { throw PNGError(source: source, reason: .libpng(message(of: &image))) }

        var output = [UInt8](repeating: 0, count: size)
        let written = output.withUnsafeMutableBytes { destination in
            pixels.withUnsafeBytes { raw in
                png_image_write_to_memory(&image, destination.baseAddress, &size, 0, raw.baseAddress, stride, nil)
            }
        }
        guard written != 0 else { throw PNGError(source: source, reason: .libpng(message(of: &image))) }
        return Data(output[0..<size])
    }

    /// Decodes PNG bytes of any color type into `layout` (color is converted to gray, alpha composited on black).
    static func decode(_ data: Data, layout: Layout, source: String) throws(PNGError) -> (width: Int, height: Int, pixels: [UInt8]) {
        let bytes = [UInt8](data)
        let compressedBytes = try checkStructure(bytes, source: source)

        // libpng keeps the input pointer from begin_read until finish_read, so both run inside one scope where
        // the bytes are guaranteed alive (Swift may free an array right after its last visible use).
        let result = bytes.withUnsafeBytes { (input: UnsafeRawBufferPointer) -> Result<(width: Int, height: Int, pixels: [UInt8]), PNGError> in
            var image = png_image()
            image.version = UInt32(PNG_IMAGE_VERSION)
            guard png_image_begin_read_from_memory(&image, input.baseAddress, input.count) != 0 else {
                return .failure(PNGError(source: source, reason: .libpng(message(of: &image))))
            }
            let width = Int(image.width), height = Int(image.height)
            guard width > 0, height > 0, width <= maxSide, height <= maxSide, width * height <= maxPixels else {
                png_image_free(&image)
                return .failure(PNGError(source: source, reason: .absurdDimensions(width: width, height: height)))
            }
            // The pixel buffer is sized from IHDR, so first make sure the IDAT data could hold that many pixels.
            guard width * height <= maxPixelsPerCompressedByte * compressedBytes else {
                png_image_free(&image)
                return .failure(PNGError(source: source, reason: .tooLittleImageData(width: width, height: height,
                                                                                     compressedBytes: compressedBytes)))
            }
            image.format = layout.format
            var pixels = [UInt8](repeating: 0, count: width * height * layout.channels)
            let finished = pixels.withUnsafeMutableBytes { raw in
                png_image_finish_read(&image, nil, raw.baseAddress, Int32(width * layout.channels), nil)
            }
            guard finished != 0 else {
                let text = message(of: &image)
                png_image_free(&image)
                return .failure(PNGError(source: source, reason: .libpng(text)))
            }
            return .success((width, height, pixels))
        }
        return try result.get()
    }

    /// The most pixels one byte of IDAT data can stand for: deflate expands at most 1032:1, and the
    /// decompressed scanlines hold at least 1 bit per pixel. A header announcing more is lying.
    static let maxPixelsPerCompressedByte = 8 * 1032

    /// Checks the signature and walks the chunk list up to IEND, so that a cut-off file is reported as
    /// truncated instead of with libpng's less direct messages. Returns the total length of the IDAT chunks.
    @discardableResult
    static func checkStructure(_ bytes: [UInt8], source: String) throws(PNGError) -> Int {
        guard bytes.count >= 8, Array(bytes[0..<8]) == signature else {
            throw PNGError(source: source, reason: .notPNG)
        }
        var offset = 8
        var compressedBytes = 0
        while offset + 8 <= bytes.count {
            let length = Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16
                | Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
            let type = Array(bytes[(offset + 4)..<(offset + 8)])
            let next = offset + 12 + length  // length, type, data, CRC
            guard next <= bytes.count else { break }
            if type == [0x49, 0x45, 0x4E, 0x44] { return compressedBytes }  // "IEND"
            if type == [0x49, 0x44, 0x41, 0x54] { compressedBytes += length }  // "IDAT"
            offset = next
        }
        throw PNGError(source: source, reason: .truncated)
    }

    /// Reads a whole file, with a typed error.
    static func readFile(_ url: URL) throws(PNGError) -> Data {
        do {
            return try Data(contentsOf: url)
        } catch {
            throw PNGError(source: url.displayPath, reason: .unreadable(error.localizedDescription))
        }
    }

    /// Writes a file atomically, with a typed error.
    static func writeFile(_ data: Data, to url: URL) throws(PNGError) {
        do {
            try AtomicFile.write(data, to: url)
        } catch {
            throw PNGError(source: url.displayPath, reason: .writeFailed(error.reason))
        }
    }

    /// The error message libpng left in `image.message`.
    private static func message(of image: inout png_image) -> String {
        withUnsafeBytes(of: &image.message) { raw in
            let text = String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            return text.isEmpty ? "unknown error" : text
        }
    }
}
