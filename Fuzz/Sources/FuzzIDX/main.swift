// libFuzzer target: the bytes are an (uncompressed) IDX file. Built with -parse-as-library.
import Diffusion

/// Parses the bytes as IDX; when they parse, checks the dimensions against the data and reads every byte.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIDX(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = [UInt8](UnsafeRawBufferPointer(start: start, count: count))
    let array: IDXArray
    do {
        array = try IDXArray(parsing: bytes, source: "<fuzz>")
    } catch {
        precondition(!String(describing: error).isEmpty)
        return 0
    }
    precondition((1...IDXArray.maxDimensions).contains(array.dimensions.count))
    precondition(array.dimensions.reduce(1, *) == array.bytes.count)
    precondition(array.bytes.count <= count, "more elements than input bytes")
    var checksum: UInt64 = 0
    for byte in array.bytes { checksum &+= UInt64(byte) }
    blackHole(checksum)
    return 0
}

@inline(never)
func blackHole(_ value: UInt64) {
    if value == 0x5eed_f00d_dead_beef { print("") }
}
