/// A seeded pseudo-random generator (xoshiro256**, seeded through SplitMix64).
///
/// All randomness in this project (initial weights, noise, dropout masks, shuffling) comes from a generator
/// that the caller creates from a seed and passes in: the same seed gives the same run. Its `state` can be
/// saved in a checkpoint and restored, so a resumed training run draws the same numbers as an
/// uninterrupted one.
public struct SeededGenerator: RandomNumberGenerator, Sendable, Equatable {
    public private(set) var state: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64) {
        var s = seed
        func splitMix() -> UInt64 {
            s &+= 0x9E37_79B9_7F4A_7C15
            var z = s
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (splitMix(), splitMix(), splitMix(), splitMix())
    }

    /// Restores a generator from a saved `state`.
    public init(state: (UInt64, UInt64, UInt64, UInt64)) {
        precondition(state != (0, 0, 0, 0), "SeededGenerator: the all-zero state is invalid")
        self.state = state
    }

    public mutating func next() -> UInt64 {
        let result = rotl(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotl(state.3, 45)
        return result
    }

    @inline(__always) private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform in [0, 1), 24 random bits.
    @inline(__always) public mutating func nextUniform() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// A derived, independent generator (e.g. one per worker or per purpose), from this one's stream.
    public mutating func split() -> SeededGenerator { SeededGenerator(seed: next()) }

    public static func == (a: SeededGenerator, b: SeededGenerator) -> Bool { a.state == b.state }
}

/// A shared handle on a generator, for layers that draw random numbers during forward passes (dropout).
/// The training loop creates it from a seed and hands it to the model; checkpoints save `generator.state`.
public final class RandomSource: @unchecked Sendable {
    public var generator: SeededGenerator
    public init(seed: UInt64) { generator = SeededGenerator(seed: seed) }
    public init(_ generator: SeededGenerator) { self.generator = generator }
}
