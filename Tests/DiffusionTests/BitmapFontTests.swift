import Diffusion
import XCTest

final class BitmapFontTests: XCTestCase {
    func testClaimedCharactersHaveGlyphs() {
        let required = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz .,:=-+/()%"
        let supported = Set(BitmapFont.supportedCharacters)
        for character in required {
            XCTAssertTrue(supported.contains(character), "missing glyph for \(character)")
        }
        var seen: [[UInt8]: Character] = [:]
        for character in BitmapFont.supportedCharacters {
            guard let rows = BitmapFont.glyph(for: character) else { XCTFail("no glyph for \(character)"); continue }
            XCTAssertEqual(rows.count, BitmapFont.glyphHeight, "\(character)")
            XCTAssertTrue(rows.allSatisfy { $0 < 1 << BitmapFont.glyphWidth }, "\(character) is wider than 5")
            if character != " " { XCTAssertTrue(rows.contains { $0 != 0 }, "\(character) is blank") }
            if let other = seen[rows] { XCTFail("\(character) and \(other) have the same glyph") }
            seen[rows] = character
        }
    }

    func testRenderAndWidth() {
        XCTAssertEqual(BitmapFont.width(of: ""), 0)
        XCTAssertEqual(BitmapFont.width(of: "ab"), 11)
        XCTAssertEqual(BitmapFont.width(of: "ab", scale: 2), 22)
        var lit: [(Int, Int)] = []
        BitmapFont.render("-", x: 10, y: 20) { lit.append(($0, $1)) }
        XCTAssertEqual(lit.map(\.0), [10, 11, 12, 13, 14])
        XCTAssertTrue(lit.allSatisfy { $0.1 == 23 })
        var count = 0
        BitmapFont.render("\u{263A}", x: 0, y: 0) { _, _ in count += 1 }  // unknown: a hollow box
        XCTAssertEqual(count, 5 + 5 + 5 * 2)
    }

    func testDrawTextClipsToImage() {
        var image = GrayImage(width: 8, height: 4)
        image.drawText("HELLO", x: -3, y: -2, scale: 2)
        XCTAssertTrue(image.pixels.contains(255))
        var rgb = RGBImage(width: 4, height: 4)
        rgb.drawText("W", x: 0, y: 0, color: RGB(1, 2, 3))
        XCTAssertEqual(rgb[0, 0], RGB(1, 2, 3))
    }
}
