// libFuzzer target: the bytes are gzip data (possibly several members). Built with -parse-as-library.
import Diffusion

/// The decompression cap used here: small, so that "gzip bombs" end in `.tooLarge` quickly.
let maxOutputSize = 1 << 20

/// Decompresses the bytes with a 1 MiB cap; when they decompress, checks the cap and reads every byte.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGzip(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = [UInt8](UnsafeRawBufferPointer(start: start, count: count))
    let output: [UInt8]
    do {
        output = try Gzip.decompress(bytes, source: "<fuzz>", maxOutputSize: maxOutputSize)
    } catch {
        precondition(!String(describing: error).isEmpty)
        return 0
    }
    precondition(Gzip.isGzip(bytes))
    precondition(output.count <= maxOutputSize, "output exceeds the cap")
    var checksum: UInt64 = 0
    for byte in output { checksum &+= UInt64(byte) }
    blackHole(checksum)
    return 0
}

@inline(never)
func blackHole(_ value: UInt64) {
    if value == 0x5eed_f00d_dead_beef { print("") }
}
