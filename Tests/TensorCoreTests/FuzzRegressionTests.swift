import Foundation
import TensorCore
import XCTest

/// Inputs found by the fuzz targets of Fuzz/ (see Fuzz/README.md), each with the error it must now give.
final class FuzzRegressionTests: XCTestCase {
    func reason(_ data: Data) -> SafeTensorsError.Reason? {
        do throws(SafeTensorsError) {
            _ = try SafeTensors.decode(data, source: "fuzz.safetensors")
            XCTFail("decoded; expected an error")
        } catch {
            XCTAssertFalse(error.description.isEmpty)
            return error.reason
        }
        return nil
    }

    /// 4096 tensors whose data_offsets all cover the same 1 MiB: each slice used to be copied before the
    /// overlap check, 4 GiB for a 1.3 MB file. Now the overlap is reported before anything is copied.
    func testManyTensorsOverTheSameBytesAreRejectedBeforeCopying() {
        let size = 1 << 20
        let fields = (0..<4096).map { i in
            "\"t\(String(format: "%04d", i))\":{\"dtype\":\"U8\",\"shape\":[\(size)],\"data_offsets\":[0,\(size)]}"
        }
        let header = Array(("{" + fields.joined(separator: ",") + "}").utf8)
        var file = withUnsafeBytes(of: UInt64(header.count).littleEndian) { [UInt8]($0) }
        file += header
        file += [UInt8](repeating: 7, count: size)
        XCTAssertEqual(reason(Data(file)), .overlapping(tensor: "t0001", other: "t0000"))
    }
}
