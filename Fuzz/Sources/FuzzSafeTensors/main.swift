// libFuzzer target: the bytes are a safetensors file. Built with -parse-as-library (libFuzzer provides main).
import Foundation
import TensorCore

/// Decodes the bytes; when they decode, reads every tensor's data and checks that the file round-trips.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafeTensors(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let data = Data(bytes: start, count: count)
    let file: SafeTensors
    do {
        file = try SafeTensors.decode(data, source: "<fuzz>")
    } catch {
        // Every rejection must explain itself (this also renders the message once).
        precondition(!String(describing: error).isEmpty)
        return 0
    }
    var checksum: UInt64 = 0
    for name in file.names {
        guard let entry = file[name] else { preconditionFailure("names lists \"\(name)\" but it has no entry") }
        precondition(entry.bytes.count == entry.elementCount * entry.dtype.size)
        for byte in entry.bytes { checksum &+= UInt64(byte) }
        switch entry.dtype {
        case .f32:
            guard let (shape, values) = try? file.floats(name) else { preconditionFailure("floats(\"\(name)\") failed") }
            precondition(shape == entry.shape && values.count == entry.elementCount)
            for value in values { checksum &+= UInt64(value.bitPattern) }
        case .i64, .i32:
            guard let (shape, values) = try? file.ints(name) else { preconditionFailure("ints(\"\(name)\") failed") }
            precondition(shape == entry.shape && values.count == entry.elementCount)
            for value in values { checksum &+= UInt64(bitPattern: Int64(value)) }
        default:
            break
        }
    }
    // What the reader accepts, the writer must write back to an equal set.
    guard let again = try? SafeTensors.decode(file.encoded(), source: "<fuzz round trip>") else {
        preconditionFailure("the re-encoded file does not decode")
    }
    precondition(again == file, "the re-encoded file decodes to different tensors")
    blackHole(checksum)
    return 0
}

@inline(never)
func blackHole(_ value: UInt64) {
    if value == 0x5eed_f00d_dead_beef { print("") }
}
