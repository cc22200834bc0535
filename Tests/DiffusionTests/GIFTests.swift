import Foundation
import XCTest
import TensorCore
@testable import Diffusion

/// Animated GIFs through giflib: what is written reads back exactly; bad input is a typed error.
final class GIFTests: XCTestCase {
    func frames(_ count: Int, width: Int = 13, height: Int = 7) -> [GrayImage] {
        (0..<count).map { f in GrayImage(width: width, height: height, pixels: (0..<(width * height)).map { UInt8(($0 * 7 + f * 31) % 256) }) }
    }

    func testFramesAndDelaysRoundTrip() throws {
        let original = frames(3)
        let data = try GIFCodec.encode(original, delay: 9, lastDelay: 120)
        XCTAssertEqual(Array(data.prefix(6)), Array("GIF89a".utf8))
        XCTAssertNotNil(data.range(of: Data("NETSCAPE2.0".utf8)), "loops")
        let decoded = try GIFCodec.decode(data)
        XCTAssertEqual(decoded.map(\.image), original)
        XCTAssertEqual(decoded.map(\.delay), [9, 9, 120])
    }

    func testAnimationFramesShowXtAndX0ForEveryStep() throws {
        var trajectory = SamplingTrajectory()
        for t in [20, 10] { trajectory.frames.append((t, Tensor.full([2, 1, 4, 4], -1), Tensor.full([2, 1, 4, 4], 1))) }
        let out = DiffusionFigures.animationFrames(trajectory, final: Tensor.full([2, 1, 4, 4], 0), count: 2, scale: 2)
        XCTAssertEqual(out.count, 3, "one per step and the result")
        XCTAssertTrue(out.allSatisfy { $0.width == out[0].width && $0.height == out[0].height })
        // The written file holds the same frames.
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("anim-\(UUID().uuidString).gif")
        defer { try? FileManager.default.removeItem(at: url) }
        try GIFCodec.write(out, to: url)
        XCTAssertEqual(try GIFCodec.decode(Data(contentsOf: url)).map(\.image), out)
    }

    func testBadInputIsATypedError() {
        XCTAssertThrowsError(try GIFCodec.encode([])) { XCTAssertEqual(($0 as? GIFError)?.reason, .noFrames) }
        XCTAssertThrowsError(try GIFCodec.encode(frames(1) + frames(1, width: 5))) { XCTAssertEqual(($0 as? GIFError)?.reason, .framesDiffer) }
        XCTAssertThrowsError(try GIFCodec.decode(Data("not a gif at all".utf8), source: "x.gif")) {
            XCTAssertTrue("\($0)".hasPrefix("x.gif: giflib error"), "\($0)")
        }
        // A real GIF cut short.
        let data = try! GIFCodec.encode(frames(2))
        XCTAssertThrowsError(try GIFCodec.decode(data.prefix(data.count / 2)))
        XCTAssertThrowsError(try GIFCodec.write(frames(1), to: URL(fileURLWithPath: "/no/such/dir/a.gif"))) {
            XCTAssertTrue("\($0)".contains("/no/such/dir/a.gif"), "\($0)")
        }
    }
}
