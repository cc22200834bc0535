import CZlib
import Foundation
import TensorCore

/// Gzip decompression through zlib, for the `.gz` dataset files.
public enum Gzip {
    /// Default cap on the decompressed size (1 GiB): a guard against corrupt or hostile files.
    public static let defaultMaxOutputSize = 1 << 30

    /// Whether `bytes` start with the gzip magic number `1f 8b`.
    public static func isGzip<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> Bool {
        var iterator = bytes.makeIterator()
        return iterator.next() == 0x1f && iterator.next() == 0x8b
    }

    /// Reads a file and returns its contents, gunzipped if it starts with the gzip magic number and as-is
    /// otherwise (so `train-images-idx3-ubyte` and `train-images-idx3-ubyte.gz` both work).
    public static func readFile(_ url: URL, maxOutputSize: Int = defaultMaxOutputSize) throws(GzipError) -> [UInt8] {
        let source = url.displayPath
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw GzipError(source: source, reason: .unreadable(error.localizedDescription))
        }
        let bytes = [UInt8](data)
        guard isGzip(bytes) else {
            guard bytes.count <= maxOutputSize else { throw GzipError(source: source, reason: .tooLarge(limit: maxOutputSize)) }
            return bytes
        }
        return try decompress(bytes, source: source, maxOutputSize: maxOutputSize)
    }

    /// Decompresses gzip data (one or more concatenated gzip members, as `cat a.gz b.gz` makes).
    ///
    /// - Parameters:
    ///   - source: names the data in errors (a file path, or `<memory>`).
    ///   - maxOutputSize: decompression stops with ``GzipError/Reason/tooLarge(limit:)`` past this many bytes.
    /// - Throws: ``GzipError``: `.notGzip`, `.truncated`, `.corrupt` or `.tooLarge`.
    public static func decompress(_ input: [UInt8], source: String = "<memory>",
                                  maxOutputSize: Int = defaultMaxOutputSize) throws(GzipError) -> [UInt8] {
        func fail(_ reason: GzipError.Reason) -> GzipError { GzipError(source: source, reason: reason) }
        guard isGzip(input) else { throw fail(.notGzip) }

        // The trailer's ISIZE (size mod 2^32) is only a hint: trust it no further than deflate's best
        // ratio (~1032:1) and the caller's cap allow.
        var output: [UInt8] = []
        if input.count >= 18 {
            let n = input.count
            let hint = Int(input[n - 4]) << 24 | Int(input[n - 3]) << 16 | Int(input[n - 2]) << 8 | Int(input[n - 1])
            output.reserveCapacity(min(hint, maxOutputSize, input.count * 1032))
        }

        var stream = z_stream()
        // 16 + MAX_WBITS: expect a gzip wrapper (header + CRC-32 trailer) around the deflate data.
        let status = inflateInit2_(&stream, 16 + MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw fail(.corrupt("inflateInit2 failed with code \(status)")) }
        defer { inflateEnd(&stream) }

        let chunkSize = 1 << 18
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        var result: GzipError.Reason?

        input.withUnsafeBufferPointer { inputBuffer in
            guard let inputBase = inputBuffer.baseAddress else { result = .truncated; return }
            var consumed = 0
            chunk.withUnsafeMutableBufferPointer { chunkBuffer in
                guard let chunkBase = chunkBuffer.baseAddress else { return }
                while true {
                    // Feed at most 1 GiB at a time: avail_in is 32-bit.
                    stream.next_in = UnsafeMutablePointer(mutating: inputBase + consumed)
                    let feed = min(inputBuffer.count - consumed, 1 << 30)
                    stream.avail_in = UInt32(feed)
                    stream.next_out = chunkBase
                    stream.avail_out = UInt32(chunkSize)

                    let code = inflate(&stream, Z_NO_FLUSH)
                    consumed += feed - Int(stream.avail_in)
                    let produced = chunkSize - Int(stream.avail_out)
                    if output.count + produced > maxOutputSize { result = .tooLarge(limit: maxOutputSize); return }
                    output.append(contentsOf: chunkBuffer[0..<produced])

                    switch code {
                    case Z_STREAM_END:
                        // Another gzip member may follow; anything else after the end is an error.
                        let rest = inputBuffer[consumed...]
                        if rest.isEmpty { return }
                        guard isGzip(rest) else { result = .corrupt("unexpected bytes after the end of the gzip stream"); return }
                        inflateReset(&stream)
                    case Z_OK:
                        continue
                    case Z_BUF_ERROR:
                        // No progress possible: either the input ran out, or (never here) the output is full.
                        if consumed == inputBuffer.count { result = .truncated; return }
                    case Z_NEED_DICT:
                        result = .corrupt("stream needs a preset dictionary"); return
                    default:
                        let message = stream.msg.map { String(cString: $0) } ?? "zlib error \(code)"
                        result = .corrupt(message); return
                    }
                    if consumed == inputBuffer.count, produced == 0 { result = .truncated; return }
                }
            }
        }
        if let result { throw fail(result) }
        return output
    }
}
