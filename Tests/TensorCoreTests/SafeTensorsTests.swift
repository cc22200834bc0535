import Foundation
import TensorCore
import XCTest

final class SafeTensorsTests: XCTestCase {
    /// A reference file: the repository's `Tests/Reference`, else `shared/reference` beside the repository.
    static func referenceFile(_ name: String) -> URL? {
        let tests = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        let root = tests.deletingLastPathComponent()
        let candidates = [tests.appendingPathComponent("Reference/\(name)"),
                          root.deletingLastPathComponent().appendingPathComponent("shared/reference/\(name)"),
                          URL(fileURLWithPath: "/work/shared/reference/\(name)")]
        return candidates.first { FileManager.default.fileExists(atPath: $0.path) }
    }

    func makeSample() -> SafeTensors {
        var file = SafeTensors()
        file.set("weight", shape: [2, 3], floats: [1, -2, 3.5, .pi, -0.0, 1e-30])
        file.set("bias", shape: [3], floats: [0.1, 0.2, 0.3])
        file.set("scalar", shape: [], floats: [42])
        file.set("t", shape: [4], ints: [0, 10, 500, 999])
        file.metadata = ["format": "pt", "note": "quote \" and backslash \\"]
        return file
    }

    func reason(_ body: () throws -> Void) -> SafeTensorsError.Reason? {
        do {
            try body()
            return nil
        } catch let error as SafeTensorsError {
            return error.reason
        } catch {
            XCTFail("unexpected error \(error)")
            return nil
        }
    }

    func testRoundTripInMemory() throws {
        let file = makeSample()
        let data = file.encoded()
        let headerLength = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        XCTAssertEqual((8 + headerLength) % 8, 0, "data section must start 8-byte aligned")
        let decoded = try SafeTensors.decode(data, source: "sample")
        XCTAssertEqual(decoded, file)
        XCTAssertEqual(decoded.names, ["bias", "scalar", "t", "weight"])
        XCTAssertEqual(decoded.metadata["note"], "quote \" and backslash \\")
        let weight = try decoded.floats("weight")
        XCTAssertEqual(weight.shape, [2, 3])
        let expected: [Float] = [1, -2, 3.5, .pi, -0.0, 1e-30]
        XCTAssertEqual(weight.values.map(\.bitPattern), expected.map(\.bitPattern))
        XCTAssertEqual(try decoded.floats("scalar").values, [42])
        XCTAssertEqual(try decoded.ints("t").values, [0, 10, 500, 999])
        XCTAssertEqual(decoded.encoded(), data, "encoding is deterministic")
    }

    func testAtomicWriteAndRead() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("st-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("model.safetensors")
        try makeSample().write(to: url)
        try makeSample().write(to: url)  // overwriting works too
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["model.safetensors"],
                       "no temporary file is left behind")
        XCTAssertEqual(try SafeTensors.read(contentsOf: url), makeSample())

        let missing = directory.appendingPathComponent("no/such/dir/x.safetensors")
        XCTAssertThrowsError(try makeSample().write(to: missing)) { error in
            XCTAssertTrue(String(describing: error).contains("no/such/dir/x.safetensors"), "\(error)")
        }
    }

    func testReferenceSchedules() throws {
        guard let url = Self.referenceFile("schedules.safetensors") else {
            throw XCTSkip("shared/reference/schedules.safetensors not found")
        }
        let file = try SafeTensors.read(contentsOf: url)
        let betas = try file.floats("linear.betas")
        XCTAssertEqual(betas.shape, [1000])
        XCTAssertEqual(betas.values[0], 1e-4, accuracy: 1e-9)
        XCTAssertEqual(betas.values[999], 0.02, accuracy: 1e-7)
        XCTAssertTrue(file.names.contains("cosine.alphas_cumprod"))

        let again = try SafeTensors.decode(file.encoded())
        XCTAssertEqual(again, file)
        for name in file.names {
            XCTAssertEqual(again[name]?.bytes, file[name]?.bytes, "\(name) is bit-exact")
        }
    }

    func testReferenceIntegers() throws {
        guard let url = Self.referenceFile("ddim_step.safetensors") else {
            throw XCTSkip("shared/reference/ddim_step.safetensors not found")
        }
        let file = try SafeTensors.read(contentsOf: url)
        let timesteps = try file.ints("linear.timesteps")
        XCTAssertEqual(timesteps.shape, [50])
        XCTAssertEqual(timesteps.values.first, 980)
        XCTAssertEqual(timesteps.values.last, 0)
    }

    func testTruncatedFile() {
        let data = makeSample().encoded()
        XCTAssertEqual(reason { _ = try SafeTensors.decode(data.prefix(5)) }, .tooShort(byteCount: 5))
        let cut = data.prefix(data.count - 4)
        guard case .offsetsOutOfRange(let tensor, _, _, _)? = reason({ _ = try SafeTensors.decode(cut) }) else {
            return XCTFail("expected offsetsOutOfRange")
        }
        XCTAssertEqual(tensor, "weight")  // the last tensor in the data section
        XCTAssertEqual(reason { _ = try SafeTensors.decode(data.prefix(20)) },
                       .headerLengthOutOfRange(claimed: UInt64(data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }), available: 12))
    }

    func testAbsurdHeaderLength() throws {
        var data = Data()
        var length = (UInt64(1) << 60).littleEndian
        withUnsafeBytes(of: &length) { data.append(contentsOf: $0) }
        data.append(contentsOf: Array("{}".utf8))
        XCTAssertEqual(reason { _ = try SafeTensors.decode(data, source: "big.safetensors") },
                       .headerLengthOutOfRange(claimed: 1 << 60, available: 2))
        do {
            _ = try SafeTensors.decode(data, source: "big.safetensors")
        } catch {
            XCTAssertTrue(error.description.hasPrefix("big.safetensors: header length"), error.description)
        }
    }

    /// A file with the given header text and `dataLength` zero bytes of data.
    func file(header: String, dataLength: Int = 0) -> Data {
        var data = Data()
        var length = UInt64(header.utf8.count).littleEndian
        withUnsafeBytes(of: &length) { data.append(contentsOf: $0) }
        data.append(contentsOf: Array(header.utf8))
        data.append(Data(count: dataLength))
        return data
    }

    func testBadJSON() {
        guard case .invalidJSON? = reason({ _ = try SafeTensors.decode(file(header: "{\"a\": [1, 2")) }) else {
            return XCTFail("expected invalidJSON")
        }
        guard case .invalidJSON? = reason({ _ = try SafeTensors.decode(file(header: "[1, 2]")) }) else {
            return XCTFail("expected invalidJSON for a non-object header")
        }
    }

    func testInvalidEntries() {
        let cases: [(String, Int, SafeTensorsError.Reason)] = [
            (#"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}}"#, 8,
             .offsetsOutOfRange(tensor: "x", begin: 0, end: 16, dataLength: 8)),
            (#"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,12]}}"#, 16,
             .sizeMismatch(tensor: "x", shape: [2], dtype: "F32", expectedBytes: 8, actualBytes: 12)),
            (#"{"x":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}"#, 16,
             .offsetsOutOfRange(tensor: "x", begin: 8, end: 0, dataLength: 16)),
            (#"{"x":{"dtype":"Q7","shape":[2],"data_offsets":[0,8]}}"#, 8, .unknownDType(tensor: "x", dtype: "Q7")),
            (#"{"x":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#, 8, .invalidShape(tensor: "x", shape: [-2])),
            (#"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"y":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#,
             16, .overlapping(tensor: "y", other: "x")),
            (#"{"x":{"dtype":"F32","shape":[true],"data_offsets":[0,4]}}"#, 8,
             .invalidEntry(tensor: "x", "missing or non-integer \"shape\"")),
            (#"{"x":{"shape":[1],"data_offsets":[0,4]}}"#, 8, .invalidEntry(tensor: "x", "missing or non-string \"dtype\"")),
            (#"{"__metadata__":{"a":1}}"#, 0, .invalidMetadata("value of \"a\" is not a string")),
        ]
        for (header, length, expected) in cases {
            XCTAssertEqual(reason { _ = try SafeTensors.decode(file(header: header, dataLength: length)) }, expected, header)
        }
    }

    func testAccessorErrors() throws {
        let file = try SafeTensors.decode(makeSample().encoded(), source: "ckpt.safetensors")
        XCTAssertEqual(reason { _ = try file.floats("nope") }, .missingTensor("nope"))
        XCTAssertEqual(reason { _ = try file.floats("t") }, .wrongDType(tensor: "t", dtype: "I64", expected: "F32"))
        XCTAssertEqual(reason { _ = try file.ints("bias") }, .wrongDType(tensor: "bias", dtype: "F32", expected: "I64 or I32"))
        do {
            _ = try file.floats("t")
        } catch {
            XCTAssertEqual(error.description, "ckpt.safetensors: tensor \"t\" has dtype I64, expected F32")
        }
    }

    func testUnreadableFile() {
        let url = URL(fileURLWithPath: "/nonexistent/model.safetensors")
        guard case .unreadable? = reason({ _ = try SafeTensors.read(contentsOf: url) }) else {
            return XCTFail("expected unreadable")
        }
    }

    func testEntryValidation() {
        XCTAssertNil(SafeTensors.Entry(dtype: .f32, shape: [2], bytes: [0, 0, 0]))
        XCTAssertNil(SafeTensors.Entry(dtype: .f32, shape: [-1], bytes: []))
        XCTAssertNotNil(SafeTensors.Entry(dtype: .f16, shape: [2], bytes: [0, 0, 0, 0]))
    }
}
