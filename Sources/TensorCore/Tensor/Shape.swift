/// Shape helpers. Tensors are row-major: the last axis is contiguous. Image batches are `[N, C, H, W]`.

/// Number of elements of a shape (1 for a scalar `[]`).
@inlinable public func elementCount(_ shape: [Int]) -> Int { shape.reduce(1, *) }

/// Row-major strides of a shape: `rowMajorStrides([2, 3, 4]) == [12, 4, 1]`.
public func rowMajorStrides(_ shape: [Int]) -> [Int] {
    var result = [Int](repeating: 1, count: shape.count)
    var running = 1
    for axis in stride(from: shape.count - 1, through: 0, by: -1) {
        result[axis] = running
        running *= shape[axis]
    }
    return result
}

/// NumPy broadcasting: align shapes at the right; each pair of sizes must be equal or one of them 1.
public func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int] {
    let rank = max(a.count, b.count)
    var out = [Int](repeating: 1, count: rank)
    for i in 0..<rank {
        let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
        let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
        precondition(da == db || da == 1 || db == 1, "broadcast: shapes \(a) and \(b) are not compatible")
        out[i] = max(da, db)
    }
    return out
}

/// Resolves a possibly negative axis (`-1` is the last) against a rank.
@inlinable public func normalizeAxis(_ axis: Int, rank: Int) -> Int {
    let a = axis < 0 ? axis + rank : axis
    precondition(a >= 0 && a < rank, "axis \(axis) out of range for rank \(rank)")
    return a
}
