// libFuzzer target: the bytes are a PNG file. Built with -parse-as-library.
import Diffusion
import Foundation

/// Decodes the bytes as they are, then with every chunk CRC recomputed (libpng rejects a chunk whose CRC does
/// not match, so without the fix-up almost no mutation of IHDR, PLTE or IDAT would get past the checksum).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPNG(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = [UInt8](UnsafeRawBufferPointer(start: start, count: count))
    decode(Data(bytes))
    let fixed = withFixedCRCs(bytes)
    if fixed != bytes { decode(Data(fixed)) }
    return 0
}

/// Decodes as gray and as RGB (the two public in-memory entries, `GrayImage(pngData:)` and
/// `RGBImage(pngData:)`); a small decoded image must also survive an encode/decode round trip.
func decode(_ data: Data) {
    var checksum: UInt64 = 0
    do {
        let gray = try GrayImage(pngData: data, source: "<fuzz>")
        precondition(gray.width > 0 && gray.height > 0 && gray.pixels.count == gray.width * gray.height)
        for value in gray.pixels { checksum &+= UInt64(value) }
        if gray.pixels.count <= 1 << 16 {
            guard let again = try? GrayImage(pngData: try gray.pngData()) else { preconditionFailure("gray round trip failed") }
            precondition(again == gray, "gray round trip changed the image")
        }
    } catch {
        precondition(!String(describing: error).isEmpty)
    }
    do {
        let rgb = try RGBImage(pngData: data, source: "<fuzz>")
        precondition(rgb.width > 0 && rgb.height > 0 && rgb.pixels.count == 3 * rgb.width * rgb.height)
        for value in rgb.pixels { checksum &+= UInt64(value) }
        if rgb.pixels.count <= 3 << 16 {
            guard let again = try? RGBImage(pngData: try rgb.pngData()) else { preconditionFailure("RGB round trip failed") }
            precondition(again == rgb, "RGB round trip changed the image")
        }
    } catch {
        precondition(!String(describing: error).isEmpty)
    }
    blackHole(checksum)
}

/// `bytes` with the CRC of every complete chunk after the signature set to the right value.
func withFixedCRCs(_ bytes: [UInt8]) -> [UInt8] {
    var bytes = bytes
    var offset = 8
    while offset + 12 <= bytes.count {
        let length = Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
        let end = offset + 8 + length
        guard end + 4 <= bytes.count else { break }
        let crc = crc32(bytes[(offset + 4)..<end])
        for i in 0..<4 { bytes[end + i] = UInt8(truncatingIfNeeded: crc >> (24 - 8 * i)) }
        offset = end + 4
    }
    return bytes
}

let crcTable: [UInt32] = (0..<256).map { n -> UInt32 in
    var c = UInt32(n)
    for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    return c
}

/// The CRC-32 of PNG chunks (and zlib, gzip).
func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
    var c: UInt32 = 0xFFFF_FFFF
    for byte in bytes { c = crcTable[Int((c ^ UInt32(byte)) & 0xFF)] ^ (c >> 8) }
    return c ^ 0xFFFF_FFFF
}

@inline(never)
func blackHole(_ value: UInt64) {
    if value == 0x5eed_f00d_dead_beef { print("") }
}
