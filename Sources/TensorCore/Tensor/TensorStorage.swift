/// The memory behind a tensor: one contiguous, 64-byte aligned block of `Float`s.
///
/// Storage is a reference type so that tensors (value types) can share it without copying. Tensors never
/// mutate shared storage: every op writes into fresh storage. The only writers of existing storage are the
/// optimizers (updating parameters in place) and code that has just allocated the storage itself.
public final class TensorStorage: @unchecked Sendable {
    public let count: Int
    public let pointer: UnsafeMutablePointer<Float>

    /// The pool the memory came from and goes back to (large tensors allocated while one is bound).
    private let pool: StoragePool?

    /// Allocates `count` floats; the contents are uninitialized garbage unless `zeroed` is true.
    public init(count: Int, zeroed: Bool = false) {
        precondition(count >= 0, "TensorStorage: negative element count \(count)")
        self.count = count
        if count >= StoragePool.minimumCount, let pool = StoragePool.current {
            self.pool = pool
            pointer = pool.take(count: count)
        } else {
            pool = nil
            pointer = TensorStorage.allocate(count)
        }
        if zeroed { pointer.initialize(repeating: 0, count: count) }
    }

    deinit {
        if let pool { pool.give(pointer, count: count) } else { UnsafeMutableRawPointer(pointer).deallocate() }
    }

    /// `count` floats, 64-byte aligned (one cache line, one AVX-512 vector).
    static func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * MemoryLayout<Float>.stride, alignment: 64)
        return raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: pointer, count: count) }
}
