import CGIF
import Foundation
import TensorCore

/// Animated grayscale GIFs through giflib: the denoising as a film (`generate --animate`), and a decoder the
/// tests use to read one back. Frames share one 256-gray palette, so a gray value is stored exactly.
public enum GIFCodec {
    /// Frames larger than this (in pixels) are refused rather than encoded.
    public static let maxPixels = 4096 * 4096

    /// Encodes `frames` (all the same size) as a looping GIF89a showing each frame for `delay` hundredths of a
    /// second, the last for `lastDelay`.
    public static func encode(_ frames: [GrayImage], delay: Int = 8, lastDelay: Int = 150) throws(GIFError) -> Data {
        guard let first = frames.first else { throw GIFError(source: "<memory>", reason: .noFrames) }
        let (w, h) = (first.width, first.height)
        guard w > 0, h > 0, w <= 65535, h <= 65535, w * h <= maxPixels else {
            throw GIFError(source: "<memory>", reason: .absurdDimensions(width: w, height: h))
        }
        guard frames.allSatisfy({ $0.width == w && $0.height == h }) else { throw GIFError(source: "<memory>", reason: .framesDiffer) }
        let sink = ByteSink()
        // giflib holds `sink` unretained and writes to it until EGifCloseFile (in the defer below, on a throw): keep it
        // alive to the end of the scope, whatever the optimizer sees as its last use. (This defer runs last.)
        defer { withExtendedLifetime(sink) {} }
        var status: Int32 = 0
        guard let gif = EGifOpen(Unmanaged.passUnretained(sink).toOpaque(), { gif, bytes, count in
            guard let gif, let bytes, count > 0, let user = gif.pointee.UserData else { return 0 }
            Unmanaged<ByteSink>.fromOpaque(user).takeUnretainedValue().data.append(bytes, count: Int(count))
            return count
        }, &status) else { throw GIFError(source: "<memory>", reason: .giflib(code: status)) }
        var closed = false
        defer { if !closed { EGifCloseFile(gif, &status) } }
        func check(_ result: Int32) throws(GIFError) {
            if result != GIF_OK { throw GIFError(source: "<memory>", reason: .giflib(code: gif.pointee.Error)) }
        }
        EGifSetGifVersion(gif, true)
        var grays = (0..<256).map { GifColorType(Red: UInt8($0), Green: UInt8($0), Blue: UInt8($0)) }
        guard let palette = GifMakeMapObject(256, &grays) else { throw GIFError(source: "<memory>", reason: .giflib(code: D_GIF_ERR_NOT_ENOUGH_MEM)) }
        defer { GifFreeMapObject(palette) }
        try check(EGifPutScreenDesc(gif, Int32(w), Int32(h), 8, 0, palette))
        // The NETSCAPE2.0 application extension: loop forever.
        try check(EGifPutExtensionLeader(gif, APPLICATION_EXT_FUNC_CODE))
        var name = Array("NETSCAPE2.0".utf8)
        try check(EGifPutExtensionBlock(gif, 11, &name))
        var loop: [UInt8] = [1, 0, 0]
        try check(EGifPutExtensionBlock(gif, 3, &loop))
        try check(EGifPutExtensionTrailer(gif))
        for (index, frame) in frames.enumerated() {
            var control = GraphicsControlBlock(DisposalMode: DISPOSAL_UNSPECIFIED, UserInputFlag: false,
                                               DelayTime: Int32(index == frames.count - 1 ? lastDelay : delay), TransparentColor: NO_TRANSPARENT_COLOR)
            var extensionBytes = [UInt8](repeating: 0, count: 4)
            _ = EGifGCBToExtension(&control, &extensionBytes)
            try check(EGifPutExtension(gif, GRAPHICS_EXT_FUNC_CODE, 4, &extensionBytes))
            try check(EGifPutImageDesc(gif, 0, 0, Int32(w), Int32(h), false, nil))
            var pixels = frame.pixels
            for y in 0..<h {
                try check(pixels.withUnsafeMutableBufferPointer { EGifPutLine(gif, $0.baseAddress! + y * w, Int32(w)) })
            }
        }
        closed = true
        guard EGifCloseFile(gif, &status) == GIF_OK else { throw GIFError(source: "<memory>", reason: .giflib(code: status)) }
        return sink.data
    }

    /// Writes an animated GIF atomically (temporary file, then rename).
    public static func write(_ frames: [GrayImage], to url: URL, delay: Int = 8, lastDelay: Int = 150) throws(GIFError) {
        let data = try encode(frames, delay: delay, lastDelay: lastDelay)
        do { try AtomicFile.write(data, to: url) } catch { throw GIFError(source: url.displayPath, reason: .writeFailed(error.description)) }
    }

    /// Decodes every frame of a GIF as 8-bit gray (the palette's red channel; the encoder's palette is gray),
    /// with each frame's delay in hundredths of a second.
    public static func decode(_ data: Data, source: String = "<memory>") throws(GIFError) -> [(image: GrayImage, delay: Int)] {
        let reader = ByteSource(data)
        // giflib holds `reader` unretained and reads from it in DGifSlurp: keep it alive to the end of the scope.
        defer { withExtendedLifetime(reader) {} }
        var status: Int32 = 0
        guard let gif = DGifOpen(Unmanaged.passUnretained(reader).toOpaque(), { gif, buffer, count in
            guard let gif, let buffer, count > 0, let user = gif.pointee.UserData else { return 0 }
            return Unmanaged<ByteSource>.fromOpaque(user).takeUnretainedValue().read(into: buffer, count: Int(count))
        }, &status) else { throw GIFError(source: source, reason: .giflib(code: status)) }
        defer { DGifCloseFile(gif, &status) }
        let (w, h) = (Int(gif.pointee.SWidth), Int(gif.pointee.SHeight))
        guard w > 0, h > 0, w * h <= maxPixels else { throw GIFError(source: source, reason: .absurdDimensions(width: w, height: h)) }
        guard DGifSlurp(gif) == GIF_OK else { throw GIFError(source: source, reason: .giflib(code: gif.pointee.Error)) }
        var frames: [(GrayImage, Int)] = []
        for i in 0..<Int(gif.pointee.ImageCount) {
            let saved = gif.pointee.SavedImages[i]
            let desc = saved.ImageDesc
            guard desc.Left == 0, desc.Top == 0, Int(desc.Width) == w, Int(desc.Height) == h, let raster = saved.RasterBits,
                  let map = desc.ColorMap ?? gif.pointee.SColorMap else { throw GIFError(source: source, reason: .framesDiffer) }
            let colors = Int(map.pointee.ColorCount)
            let pixels = (0..<(w * h)).map { j -> UInt8 in
                let index = Int(raster[j])
                return index < colors ? map.pointee.Colors[index].Red : 0
            }
            var control = GraphicsControlBlock()
            let delay = DGifSavedExtensionToGCB(gif, Int32(i), &control) == GIF_OK ? Int(control.DelayTime) : 0
            frames.append((GrayImage(width: w, height: h, pixels: pixels), delay))
        }
        return frames.map { (image: $0.0, delay: $0.1) }
    }
}

/// Where the encoder's output callback appends.
private final class ByteSink { var data = Data() }

/// What the decoder's input callback reads.
private final class ByteSource {
    let bytes: [UInt8]
    var offset = 0
    init(_ data: Data) { bytes = [UInt8](data) }
    func read(into buffer: UnsafeMutablePointer<GifByteType>, count: Int) -> Int32 {
        let n = min(count, bytes.count - offset)
        guard n > 0 else { return 0 }
        bytes.withUnsafeBufferPointer { buffer.update(from: $0.baseAddress! + offset, count: n) }
        offset += n
        return Int32(n)
    }
}

/// Why a GIF could not be written or read. The description names the file.
public struct GIFError: FileError, Equatable, Sendable {
    public enum Reason: Equatable, Sendable {
        case noFrames
        case framesDiffer
        case absurdDimensions(width: Int, height: Int)
        /// giflib's error code (`GifErrorString` gives its text).
        case giflib(code: Int32)
        case writeFailed(String)
    }

    public var source: String
    public var reason: Reason

    public init(source: String, reason: Reason) {
        self.source = source
        self.reason = reason
    }

    public var explanation: String {
        switch reason {
        case .noFrames: "an animation needs at least one frame"
        case .framesDiffer: "every frame must have the size of the first, at the origin"
        case let .absurdDimensions(w, h): "a \(w)x\(h) frame is outside 1...65535 per side and \(GIFCodec.maxPixels) pixels"
        case let .giflib(code): "giflib error \(code): \(GifErrorString(code).map { String(cString: $0) } ?? "unknown")"
        case let .writeFailed(message): "cannot write: \(message)"
        }
    }
}
