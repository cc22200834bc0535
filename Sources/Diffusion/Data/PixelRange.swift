/// The value range 8-bit pixels are mapped to before they go into a model.
public enum PixelRange: Sendable, Equatable {
    /// 0 -> 0.0, 255 -> 1.0.
    case zeroToOne
    /// 0 -> -1.0, 255 -> 1.0: the range diffusion models are trained in, symmetric around the noise mean.
    case minusOneToOne

    /// The value of one pixel.
    @inlinable
    public func value(_ pixel: UInt8) -> Float {
        switch self {
        case .zeroToOne: return Float(pixel) / 255
        case .minusOneToOne: return Float(pixel) / 127.5 - 1
        }
    }

    /// The closed range of values this produces, e.g. for ``ImageGrid``.
    public var bounds: ClosedRange<Float> {
        switch self {
        case .zeroToOne: return 0...1
        case .minusOneToOne: return -1...1
        }
    }

    /// Gathers the images at `indices` out of `images` (consecutive images of `imageSize` bytes each) into one
    /// flat array of floats, `indices.count * imageSize` long, in the order of `indices`.
    ///
    /// - Precondition: every index is in `0..<images.count / imageSize`.
    public func floats(from images: [UInt8], imageSize: Int, indices: [Int]) -> [Float] {
        precondition(imageSize > 0, "imageSize must be positive")
        let imageCount = images.count / imageSize
        var result = [Float](repeating: 0, count: indices.count * imageSize)
        images.withUnsafeBufferPointer { source in
            result.withUnsafeMutableBufferPointer { destination in
                for (slot, index) in indices.enumerated() {
                    precondition(index >= 0 && index < imageCount, "image index \(index) out of range 0..<\(imageCount)")
                    let from = index * imageSize, to = slot * imageSize
                    for i in 0..<imageSize { destination[to + i] = value(source[from + i]) }
                }
            }
        }
        return result
    }
}
