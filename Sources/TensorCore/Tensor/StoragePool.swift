import Foundation

/// Reuses the memory of large tensors from one training step to the next.
///
/// A training step allocates the same tensors, with the same sizes, every time. Without a pool each large
/// allocation costs fresh pages from the kernel (page faults and zero-filling on first touch), and the C
/// allocator keeps freed blocks around in ways that fragment: the process grows well beyond what is live.
/// With a pool, freed blocks wait in a list keyed by their exact size until a tensor of that size is asked
/// for again, so the memory in use settles at about the peak of one step.
///
/// There is no global pool: bind one for a block of code, as a training session does for each step,
/// `StoragePool.$current.withValue(pool) { ... }`. Storage allocated inside goes back to that pool when freed;
/// the pool's memory is released when the pool itself goes away.
public final class StoragePool: @unchecked Sendable {
    @TaskLocal public static var current: StoragePool?

    /// Blocks smaller than this (in floats; 256 KB) go straight to the allocator: they are cheap.
    static let minimumCount = 65_536

    private let lock = NSLock()
    private var free: [Int: [UnsafeMutablePointer<Float>]] = [:]
    /// Bytes held in the free lists (not counting blocks in use).
    public private(set) var cachedBytes = 0

    public init() {}

    /// A block of `count` floats: a cached one if there is one, else a new one.
    func take(count: Int) -> UnsafeMutablePointer<Float> {
        lock.lock()
        let cached = free[count]?.popLast()
        if cached != nil { cachedBytes -= count * 4 }
        lock.unlock()
        return cached ?? TensorStorage.allocate(count)
    }

    /// Returns a block taken from this pool.
    func give(_ pointer: UnsafeMutablePointer<Float>, count: Int) {
        lock.lock()
        free[count, default: []].append(pointer)
        cachedBytes += count * 4
        lock.unlock()
    }

    deinit {
        for blocks in free.values { for p in blocks { UnsafeMutableRawPointer(p).deallocate() } }
    }
}
