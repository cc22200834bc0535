import Diffusion
import Foundation
import XCTest

final class GzipTests: XCTestCase {
    let expected = TestSupport.idx(dimensions: [2, 3, 3], data: Array(0..<18))

    func testDecompress() throws {
        XCTAssertTrue(Gzip.isGzip(TestSupport.smallGzip))
        XCTAssertEqual(try Gzip.decompress(TestSupport.smallGzip), expected)
    }

    func testConcatenatedMembers() throws {
        XCTAssertEqual(try Gzip.decompress(TestSupport.smallGzip + TestSupport.smallGzip), expected + expected)
    }

    func testNotGzip() {
        let error = TestSupport.error(GzipError.self) { _ = try Gzip.decompress(self.expected, source: "x.gz") }
        XCTAssertEqual(error?.reason, .notGzip)
        XCTAssertEqual(error?.description.hasPrefix("x.gz: not gzip"), true)
    }

    func testTruncated() {
        for length in [2, 10, 20, TestSupport.smallGzip.count - 4] {
            let cut = Array(TestSupport.smallGzip.prefix(length))
            let error = TestSupport.error(GzipError.self) { _ = try Gzip.decompress(cut, source: "cut.gz") }
            XCTAssertEqual(error?.reason, .truncated, "cut at \(length)")
        }
    }

    func testCorrupt() {
        var bad = TestSupport.smallGzip
        bad[bad.count - 6] ^= 0xff  // inside the CRC-32 trailer
        guard case .corrupt? = TestSupport.error(GzipError.self, { _ = try Gzip.decompress(bad) })?.reason else {
            return XCTFail("expected corrupt")
        }
        var badBlock = TestSupport.smallGzip
        badBlock[10] = 0xff  // invalid deflate block type
        guard case .corrupt? = TestSupport.error(GzipError.self, { _ = try Gzip.decompress(badBlock) })?.reason else {
            return XCTFail("expected corrupt")
        }
        let trailing = TestSupport.smallGzip + [1, 2, 3]
        guard case .corrupt? = TestSupport.error(GzipError.self, { _ = try Gzip.decompress(trailing) })?.reason else {
            return XCTFail("expected corrupt for trailing bytes")
        }
    }

    func testOutputLimit() {
        let error = TestSupport.error(GzipError.self) { _ = try Gzip.decompress(TestSupport.smallGzip, maxOutputSize: 10) }
        XCTAssertEqual(error?.reason, .tooLarge(limit: 10))
    }

    func testReadFileAcceptsPlainAndCompressed() throws {
        let directory = try TestSupport.scratchDirectory()
        defer { TestSupport.remove(directory) }
        let plain = directory.appendingPathComponent("a-idx3-ubyte"), packed = directory.appendingPathComponent("a-idx3-ubyte.gz")
        try Data(expected).write(to: plain)
        try Data(TestSupport.smallGzip).write(to: packed)
        XCTAssertEqual(try Gzip.readFile(plain), expected)
        XCTAssertEqual(try Gzip.readFile(packed), expected)
        let missing = directory.appendingPathComponent("missing.gz")
        guard case .unreadable? = TestSupport.error(GzipError.self, { _ = try Gzip.readFile(missing) })?.reason else {
            return XCTFail("expected unreadable")
        }
    }
}
