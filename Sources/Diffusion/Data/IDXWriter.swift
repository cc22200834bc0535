import Foundation
import TensorCore

/// Writes arrays in MNIST's own IDX format (big-endian header, uint8 data), so outside tools can read them.
public enum IDXWriter {
    /// The bytes of an IDX file of unsigned bytes with the given dimensions.
    public static func encode(dimensions: [Int], bytes: [UInt8]) -> Data {
        precondition(dimensions.reduce(1, *) == bytes.count, "IDXWriter: dimensions \(dimensions) do not match \(bytes.count) bytes")
        var data = Data([0, 0, 0x08, UInt8(dimensions.count)])
        for d in dimensions { withUnsafeBytes(of: UInt32(d).bigEndian) { data.append(contentsOf: $0) } }
        data.append(contentsOf: bytes)
        return data
    }

    /// Writes images (`[N, 1, H, W]` in [-1, 1]) as `images-idx3-ubyte` and their labels as `labels-idx1-ubyte`
    /// in `directory`: 0 is background, 255 ink, as in MNIST.
    public static func writeDataset(images: Tensor, labels: [Int], to directory: URL) throws {
        precondition(images.rank == 4 && images.shape[1] == 1 && images.shape[0] == labels.count,
                     "IDXWriter: need [N, 1, H, W] images and N labels, got \(images.shape) and \(labels.count)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // [-1, 1] -> 0...255, rounded.
        let pixels = images.scalars.map { value -> UInt8 in
            let clamped: Float = min(max(value, -1), 1)
            return UInt8(min((clamped + 1) * 127.5 + 0.5, 255))
        }
        try AtomicFile.write(encode(dimensions: [images.shape[0], images.shape[2], images.shape[3]], bytes: pixels),
                             to: directory.appendingPathComponent("images-idx3-ubyte"))
        try AtomicFile.write(encode(dimensions: [labels.count], bytes: labels.map { UInt8(clamping: $0) }),
                             to: directory.appendingPathComponent("labels-idx1-ubyte"))
    }
}
