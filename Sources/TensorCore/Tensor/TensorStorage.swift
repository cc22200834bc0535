/// The memory behind a tensor: one contiguous, 64-byte aligned block of `Float`s.
///
/// Storage is a reference type so that tensors (value types) can share it without copying. Tensors never
/// mutate shared storage: every op writes into fresh storage. The only writers of existing storage are the
/// optimizers (updating parameters in place) and code that has just allocated the storage itself.
public final class TensorStorage: @unchecked Sendable {
    public let count: Int
    public let pointer: UnsafeMutablePointer<Float>

    /// Allocates `count` floats; the contents are uninitialized garbage unless `zeroed` is true.
    public init(count: Int, zeroed: Bool = false) {
        precondition(count >= 0, "TensorStorage: negative element count \(count)")
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * MemoryLayout<Float>.stride, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        if zeroed { pointer.initialize(repeating: 0, count: count) }
    }

    deinit { UnsafeMutableRawPointer(pointer).deallocate() }

    public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: pointer, count: count) }
}
