import Foundation
import TensorCore

/// An array of unsigned bytes read from an IDX file, the format of MNIST and Fashion-MNIST.
///
/// Layout: two zero bytes, a type code (`0x08` = unsigned byte), the number of dimensions `d`, then `d`
/// big-endian 32-bit sizes, then the elements in row-major order. `train-images-idx3-ubyte` has dimensions
/// `[60000, 28, 28]`; `train-labels-idx1-ubyte` has `[60000]`.
public struct IDXArray: Sendable, Equatable {
    /// Most dimensions accepted (MNIST uses 1 and 3).
    public static let maxDimensions = 8
    /// Most elements accepted (4 GiB): a guard against corrupt headers.
    public static let maxElements = 1 << 32

    /// The sizes of each dimension, outermost first.
    public let dimensions: [Int]
    /// The elements in row-major order; `bytes.count` is the product of `dimensions`.
    public let bytes: [UInt8]

    /// Parses IDX bytes. `source` names them in errors.
    ///
    /// The header's dimensions are checked against the actual byte count before anything is allocated.
    /// - Throws: ``IDXError``.
    public init(parsing data: [UInt8], source: String = "<memory>") throws(IDXError) {
        func fail(_ reason: IDXError.Reason) -> IDXError { IDXError(source: source, reason: reason) }
        guard data.count >= 4 else { throw fail(.tooShort(byteCount: data.count, needed: 4)) }
        guard data[0] == 0, data[1] == 0 else { throw fail(.badMagic(data[0], data[1])) }
        guard data[2] == 0x08 else { throw fail(.unsupportedType(data[2])) }
        let rank = Int(data[3])
        guard (1...IDXArray.maxDimensions).contains(rank) else { throw fail(.badDimensionCount(rank)) }
        let headerSize = 4 + 4 * rank
        guard data.count >= headerSize else { throw fail(.tooShort(byteCount: data.count, needed: headerSize)) }

        var dimensions: [Int] = []
        var count = 1
        var absurd = false
        for d in 0..<rank {
            let at = 4 + 4 * d
            let size = Int(data[at]) << 24 | Int(data[at + 1]) << 16 | Int(data[at + 2]) << 8 | Int(data[at + 3])
            dimensions.append(size)
            let (product, overflow) = count.multipliedReportingOverflow(by: size)
            if overflow || product > IDXArray.maxElements { absurd = true } else { count = product }
        }
        guard !absurd else { throw fail(.absurdDimensions(dimensions)) }
        let actual = data.count - headerSize
        guard count == actual else { throw fail(.sizeMismatch(dimensions: dimensions, expected: count, actual: actual)) }

        self.dimensions = dimensions
        self.bytes = Array(data[headerSize...])
    }

    /// Reads an IDX file, gunzipping it first if it is gzip-compressed.
    /// - Throws: ``GzipError`` if the file cannot be read or decompressed, ``IDXError`` if it is not valid IDX.
    public init(contentsOf url: URL) throws {
        try self.init(parsing: try Gzip.readFile(url), source: url.displayPath)
    }
}
