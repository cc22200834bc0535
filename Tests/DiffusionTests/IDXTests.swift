import Diffusion
import Foundation
import XCTest

final class IDXTests: XCTestCase {
    func testParse() throws {
        let array = try IDXArray(parsing: TestSupport.idx(dimensions: [2, 3, 3], data: Array(0..<18)))
        XCTAssertEqual(array.dimensions, [2, 3, 3])
        XCTAssertEqual(array.bytes, Array(0..<18))
    }

    func reason(_ bytes: [UInt8]) -> IDXError.Reason? {
        TestSupport.error(IDXError.self) { _ = try IDXArray(parsing: bytes, source: "d/x-idx1-ubyte") }?.reason
    }

    func testWrongMagic() {
        XCTAssertEqual(reason([0x1f, 0x8b, 8, 1, 0, 0, 0, 0]), .badMagic(0x1f, 0x8b))
        XCTAssertEqual(reason([0, 0, 0x0D, 1, 0, 0, 0, 0]), .unsupportedType(0x0D))
        XCTAssertEqual(reason([0, 0, 8, 0]), .badDimensionCount(0))
        XCTAssertEqual(reason([0, 0, 8, 200]), .badDimensionCount(200))
        XCTAssertEqual(reason([0, 0]), .tooShort(byteCount: 2, needed: 4))
        XCTAssertEqual(reason([0, 0, 8, 3, 0, 0, 0, 1]), .tooShort(byteCount: 8, needed: 16))
    }

    func testTruncatedData() {
        let full = TestSupport.idx(dimensions: [2, 3, 3], data: Array(0..<18))
        XCTAssertEqual(reason(Array(full.dropLast(5))), .sizeMismatch(dimensions: [2, 3, 3], expected: 18, actual: 13))
        XCTAssertEqual(reason(full + [7]), .sizeMismatch(dimensions: [2, 3, 3], expected: 18, actual: 19))
    }

    func testAbsurdDimensionsDoNotAllocate() {
        // 2^31 x 2^31 x 2^31 overflows; 2^31 x 16 exceeds the limit; 2^31 alone only mismatches the size.
        // None of these may allocate what the header claims (the test would run out of memory).
        XCTAssertEqual(reason(TestSupport.idx(dimensions: [1 << 31, 1 << 31, 1 << 31], data: [1, 2, 3])),
                       .absurdDimensions([1 << 31, 1 << 31, 1 << 31]))
        XCTAssertEqual(reason(TestSupport.idx(dimensions: [1 << 31, 16], data: [])), .absurdDimensions([1 << 31, 16]))
        XCTAssertEqual(reason(TestSupport.idx(dimensions: [1 << 31], data: [1])),
                       .sizeMismatch(dimensions: [1 << 31], expected: 1 << 31, actual: 1))
    }

    func testErrorNamesFile() throws {
        let directory = try TestSupport.scratchDirectory()
        defer { TestSupport.remove(directory) }
        let url = directory.appendingPathComponent("bad-idx1-ubyte")
        try Data([0, 0, 8, 1, 0, 0, 0, 9, 1, 2]).write(to: url)
        do {
            _ = try IDXArray(contentsOf: url)
            XCTFail("expected an error")
        } catch {
            XCTAssertTrue(String(describing: error).contains("bad-idx1-ubyte: IDX dimensions [9] need 9"), "\(error)")
        }
    }
}
