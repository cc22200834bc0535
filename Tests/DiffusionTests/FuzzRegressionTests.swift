import Diffusion
import Foundation
import XCTest

/// Inputs found by the fuzz targets of Fuzz/ (see Fuzz/README.md), each with the error it must now give.
final class FuzzRegressionTests: XCTestCase {
    func pngReason(_ bytes: [UInt8]) -> PNGError.Reason? {
        TestSupport.error(PNGError.self) { _ = try RGBImage(pngData: Data(bytes), source: "fuzz.png") }?.reason
    }

    /// A 69-byte RGB PNG whose IHDR claims 8192 x 8192 pixels (within the size limits) over 12 bytes of IDAT:
    /// the 192 MB pixel buffer used to be allocated before libpng found the data missing.
    func testPNGHeaderClaimingMorePixelsThanItsDataCanHold() {
        let bytes: [UInt8] = [
            0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00,
            0x20, 0x00, 0x00, 0x00, 0x20, 0x00, 0x08, 0x02, 0x00, 0x00, 0x00, 0xfd, 0xc8, 0x5d, 0x0e, 0x00, 0x00, 0x00,
            0x0c, 0x49, 0x44, 0x41, 0x54, 0x78, 0xda, 0x63, 0x60, 0x60, 0x60, 0x00, 0x00, 0x00, 0x04, 0x00, 0x01, 0xc8,
            0xea, 0xeb, 0xf9, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
        ]
        XCTAssertEqual(pngReason(bytes), .tooLittleImageData(width: 8192, height: 8192, compressedBytes: 12))
        XCTAssertThrowsError(try GrayImage(pngData: Data(bytes)))
    }

    /// The bound above must not reject real files: a uniform image compresses about as well as deflate can.
    func testHighlyCompressedPNGStillDecodes() throws {
        let image = GrayImage(width: 2048, height: 2048, fill: 0)
        let data = try image.pngData()
        XCTAssertLessThan(data.count, 8192, "the test wants a file near deflate's best ratio")
        XCTAssertEqual(try GrayImage(pngData: data), image)
    }
}
