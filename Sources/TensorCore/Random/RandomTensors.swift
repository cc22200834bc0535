import Foundation

extension Tensor {
    /// Uniform samples in `[low, high)`.
    public static func uniform(_ shape: [Int], low: Float = 0, high: Float = 1, using rng: inout SeededGenerator) -> Tensor {
        Tensor(shape: shape) { out in
            for i in 0..<out.count { out[i] = low + (high - low) * rng.nextUniform() }
        }
    }

    /// Standard normal samples (Box-Muller), scaled: `mean + std * N(0, 1)`.
    public static func randomNormal(_ shape: [Int], mean: Float = 0, std: Float = 1, using rng: inout SeededGenerator) -> Tensor {
        Tensor(shape: shape) { out in
            var i = 0
            while i < out.count {
                // u1 in (0, 1] so that log(u1) is finite.
                let u1 = 1 - rng.nextUniform(), u2 = rng.nextUniform()
                let r = (-2 * logf(u1)).squareRoot(), theta = 2 * Float.pi * u2
                out[i] = mean + std * r * cosf(theta)
                if i + 1 < out.count { out[i + 1] = mean + std * r * sinf(theta) }
                i += 2
            }
        }
    }

    /// Bernoulli(p) samples: 1 with probability `p`, else 0.
    public static func bernoulli(_ shape: [Int], p: Float, using rng: inout SeededGenerator) -> Tensor {
        Tensor(shape: shape) { out in
            for i in 0..<out.count { out[i] = rng.nextUniform() < p ? 1 : 0 }
        }
    }
}

extension Array {
    /// Fisher-Yates shuffle driven by a seeded generator (our own, so the order never changes with the Swift version).
    public mutating func seededShuffle(using rng: inout SeededGenerator) {
        guard count > 1 else { return }
        for i in stride(from: count - 1, to: 0, by: -1) {
            let j = Int(rng.next() % UInt64(i + 1))
            swapAt(i, j)
        }
    }
}
