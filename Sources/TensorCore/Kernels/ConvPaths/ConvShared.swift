// What several convolution paths share: the raw pointers of one call, sample groups for small planes, and sums.
//
// Small output planes (7x7 = 49 pixels) make thin GEMMs, so a few samples are processed together: their
// columns are laid side by side into one [K, G*P] product (G = `groupSize`). Only one group is ever padded
// or materialised per core, never the whole batch.

extension Conv2DKernels {
    /// The raw pointers of one call, handed to worker threads. Workers read the inputs and write disjoint
    /// samples (or their own partial sums), which makes the `@unchecked Sendable` sound.
    struct Pointers: @unchecked Sendable {
        var a: UnsafePointer<Float>
        var b: UnsafePointer<Float>
        var c: UnsafePointer<Float>?
        var out: UnsafeMutablePointer<Float>
    }

    /// Samples per GEMM: enough that the GEMM has >= ~256 columns (a 7x7 plane alone gives only 49).
    static func groupSize(plane: Int, samples: Int) -> Int {
        max(1, min(samples, (256 + plane - 1) / plane))
    }

    /// Copies `count` consecutive [channels, plane] blocks side by side into dst [channels, count * plane].
    static func gatherPlanes(_ src: UnsafePointer<Float>, channels: Int, plane: Int, count: Int,
                             into dst: UnsafeMutablePointer<Float>) -> UnsafePointer<Float> {
        for i in 0..<count {
            for ch in 0..<channels {
                (dst + ch * count * plane + i * plane).update(from: src + (i * channels + ch) * plane, count: plane)
            }
        }
        return UnsafePointer(dst)
    }

    /// The inverse of `gatherPlanes`, adding the bias: out[i, ch, :] = src[ch, i * plane ..< (i+1) * plane] +
    /// bias[ch]. With count == 1, src may be the output itself (then only the bias is added).
    static func scatter(_ src: UnsafePointer<Float>, ld: Int, count: Int, channels: Int, plane: Int,
                        bias: UnsafePointer<Float>?, into out: UnsafeMutablePointer<Float>) {
        if count == 1 && src == UnsafePointer(out) && bias == nil { return }
        for i in 0..<count {
            for ch in 0..<channels {
                let s = src + ch * ld + i * plane, d = out + (i * channels + ch) * plane
                let b = bias?[ch] ?? 0
                for x in 0..<plane { d[x] = s[x] + b }
            }
        }
    }

    /// The sum of the 16 lanes, by halving (SIMD's generic `sum()` is not specialised and ends up a call).
    @inline(__always)
    static func horizontalSum(_ v: GEMM.Vec) -> Float { VectorMath.horizontalSum(v) }

    static func sum(_ x: UnsafePointer<Float>, count: Int) -> Float {
        var acc = GEMM.Vec()
        var i = 0
        while i + 16 <= count { acc += GEMM.load(x + i); i += 16 }
        var s = horizontalSum(acc)
        while i < count { s += x[i]; i += 1 }
        return s
    }
}
