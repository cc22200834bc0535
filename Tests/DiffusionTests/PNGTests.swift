import Diffusion
import Foundation
import XCTest

final class PNGTests: XCTestCase {
    func gradient(width: Int, height: Int) -> GrayImage {
        GrayImage(width: width, height: height, pixels: (0..<(width * height)).map { UInt8(truncatingIfNeeded: $0 * 7) })
    }

    func testGrayRoundTripInMemory() throws {
        let image = gradient(width: 37, height: 11)
        let data = try image.pngData()
        XCTAssertEqual(Array(data.prefix(4)), [0x89, 0x50, 0x4E, 0x47])
        XCTAssertEqual(try GrayImage(pngData: data), image)
        let asRGB = try RGBImage(pngData: data)
        XCTAssertEqual(asRGB, image.rgb(), "gray read as RGB repeats the channel")
    }

    func testRGBRoundTripThroughFile() throws {
        let directory = try TestSupport.scratchDirectory()
        defer { TestSupport.remove(directory) }
        var image = RGBImage(width: 20, height: 9, fill: RGB(10, 20, 30))
        image[3, 4] = RGB(255, 0, 128)
        let url = directory.appendingPathComponent("chart.png")
        try image.writePNG(to: url)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["chart.png"])
        let back = try RGBImage.readPNG(contentsOf: url)
        XCTAssertEqual(back, image)
        XCTAssertEqual(back[3, 4], RGB(255, 0, 128))
        let gray = try GrayImage.readPNG(contentsOf: url)
        XCTAssertEqual(gray.width, 20)
        XCTAssertEqual(gray.height, 9)
    }

    func testGrayFileRoundTrip() throws {
        let directory = try TestSupport.scratchDirectory()
        defer { TestSupport.remove(directory) }
        let url = directory.appendingPathComponent("grid.png")
        let image = gradient(width: 280, height: 280)
        try image.writePNG(to: url)
        XCTAssertEqual(try GrayImage.readPNG(contentsOf: url), image)
    }

    func reason(_ data: Data) -> PNGError.Reason? {
        TestSupport.error(PNGError.self) { _ = try GrayImage(pngData: data, source: "x.png") }?.reason
    }

    func testNotAPNG() {
        XCTAssertEqual(reason(Data("hello, world".utf8)), .notPNG)
        XCTAssertEqual(reason(Data()), .notPNG)
    }

    func testTruncated() throws {
        let data = try gradient(width: 64, height: 64).pngData()
        for length in [8, 20, 40, data.count / 2, data.count - 1] {
            XCTAssertEqual(reason(data.prefix(length)), .truncated, "cut at \(length)")
        }
    }

    func testCorruptPixelDataIsALibpngError() throws {
        var bytes = [UInt8](try gradient(width: 64, height: 64).pngData())
        // Overwrite the middle of the IDAT chunk's compressed data: the chunk structure stays intact.
        guard let type = (8..<(bytes.count - 4)).first(where: { Array(bytes[$0..<($0 + 4)]) == Array("IDAT".utf8) }) else {
            return XCTFail("no IDAT chunk")
        }
        let length = Int(bytes[type - 4]) << 24 | Int(bytes[type - 3]) << 16 | Int(bytes[type - 2]) << 8 | Int(bytes[type - 1])
        for i in (type + 4 + length / 2)..<(type + 4 + length / 2 + 4) { bytes[i] ^= 0x5A }
        let found = reason(Data(bytes))
        guard case .libpng? = found else { return XCTFail("expected a libpng error, got \(String(describing: found))") }
    }

    func testAbsurdDimensions() throws {
        // Patch IHDR of a 1x1 image to claim 40000 x 40000 pixels, fixing the chunk CRC so libpng accepts it.
        var bytes = [UInt8](try GrayImage(width: 1, height: 1).pngData())
        let big: [UInt8] = [0, 0, 0x9C, 0x40]  // 40000
        bytes.replaceSubrange(16..<20, with: big)
        bytes.replaceSubrange(20..<24, with: big)
        let crc = Self.crc32(bytes[12..<29])
        bytes.replaceSubrange(29..<33, with: [UInt8(crc >> 24), UInt8(crc >> 16 & 0xff), UInt8(crc >> 8 & 0xff), UInt8(crc & 0xff)])
        XCTAssertEqual(reason(Data(bytes)), .absurdDimensions(width: 40000, height: 40000))
    }

    func testErrorNamesFile() throws {
        let directory = try TestSupport.scratchDirectory()
        defer { TestSupport.remove(directory) }
        let url = directory.appendingPathComponent("notes.png")
        try Data("not an image".utf8).write(to: url)
        let error = TestSupport.error(PNGError.self) { _ = try GrayImage.readPNG(contentsOf: url) }
        XCTAssertEqual(error?.description.hasSuffix("notes.png: not a PNG file (missing the PNG signature)"), true)
        let missing = TestSupport.error(PNGError.self) { _ = try GrayImage.readPNG(contentsOf: directory.appendingPathComponent("none.png")) }
        guard case .unreadable? = missing?.reason else { return XCTFail("expected unreadable") }
    }

    /// CRC-32 as PNG uses it (polynomial 0xEDB88320).
    static func crc32<C: Collection<UInt8>>(_ bytes: C) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}
