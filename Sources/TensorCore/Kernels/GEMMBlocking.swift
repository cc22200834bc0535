import Foundation

/// The two block sizes of the GEMM loop nest (GEMM.swift), derived from the cache sizes of the machine it runs
/// on instead of constants tuned on one CPU.
///
/// Where each operand lives while the micro-kernel runs (mr x nr = 6 x 64, kc deep):
///
///     A micro-panel [kc, 6]    read once per B panel         -> L1:  24 * kc bytes, a quarter of L1d at most
///     B panel       [kc, 64]   reused by all mc / 6 panels   -> L2:  256 * kc bytes
///     A block       [mc, kc]   reused by every B panel       -> L2:  4 * mc * kc bytes
///
/// so kc is the largest multiple of 32 with 24 * kc <= L1d / 4 (the rest of L1 holds the B lines in flight and
/// the C tile), and mc the largest multiple of 6 with 4 * mc * kc + 256 * kc <= L2 / 2 (the other half of L2
/// holds C and what the other loops stream). Larger kc amortises the C-tile load and store over more FMAs;
/// larger mc repacks B fewer times. 32 KB L1d / 1 MB L2 (Zen 4) gives kc 320, mc 342; 48 KB / 2 MB (the Xeon
/// of issue 18) gives kc 512, mc 444.
///
/// A model of a cache is not the cache: `Benchmarks --tune-gemm` measures the candidates around the derived
/// blocking on the chapter shapes and stores the fastest in a file (GEMMTuning.swift) that later runs read.
public struct GEMMBlocking: Equatable, Codable, Sendable, CustomStringConvertible {
    /// Depth of the k-blocks (a multiple of 32; K is cut into equal blocks of at most kc).
    public var kc: Int
    /// Rows of A packed at once (a multiple of 6, the micro-kernel's rows).
    public var mc: Int

    public init(kc: Int, mc: Int) {
        precondition(kc >= 1 && mc >= GEMM.mr && mc % GEMM.mr == 0,
                     "GEMMBlocking: kc must be positive and mc a positive multiple of \(GEMM.mr)")
        (self.kc, self.mc) = (kc, mc)
    }

    static let kcRange = 128...512
    static let mcRange = 48...1020

    /// The blocking the cache model above gives for `caches`.
    public static func derived(from caches: CacheSizes) -> GEMMBlocking {
        let kc = min(max(caches.l1d / 4 / (4 * GEMM.mr) / 32 * 32, kcRange.lowerBound), kcRange.upperBound)
        let bytesForA = caches.l2 / 2 - 4 * GEMM.nr * kc
        let mc = min(max(bytesForA / (4 * kc) / GEMM.mr * GEMM.mr, mcRange.lowerBound), mcRange.upperBound)
        return GEMMBlocking(kc: kc, mc: mc)
    }

    /// The candidates `Benchmarks --tune-gemm` measures: the derived blocking, kc a quarter and a half smaller
    /// or bigger, mc halved and doubled, and the fixed blocking the project used before (kc 384, mc 288).
    public static func candidates(around d: GEMMBlocking) -> [GEMMBlocking] {
        func kc(_ x: Double) -> Int { min(max(Int(x) / 32 * 32, kcRange.lowerBound), kcRange.upperBound) }
        func mc(_ x: Double) -> Int { min(max(Int(x) / GEMM.mr * GEMM.mr, mcRange.lowerBound), mcRange.upperBound) }
        let k = Double(d.kc), m = Double(d.mc)
        var all = [d]
        for kcs in [kc(k * 0.5), kc(k * 0.75), d.kc, kc(k * 1.5)] {
            for mcs in [mc(m * 0.5), d.mc, mc(m * 2)] { all.append(GEMMBlocking(kc: kcs, mc: mcs)) }
        }
        all.append(GEMMBlocking(kc: 384, mc: 288))
        var seen = Set<[Int]>()
        return all.filter { seen.insert([$0.kc, $0.mc]).inserted }
    }

    /// The blocking every product uses unless one is passed in: the tuned one stored for this machine if there
    /// is one (GEMMTuning.swift), else the one derived from its caches. Computed once per process.
    public static let current: GEMMBlocking = GEMMTuning.stored(for: CacheSizes.thisMachine())?.blocking
        ?? derived(from: CacheSizes.thisMachine())

    public var description: String { "kc \(kc), mc \(mc)" }
}
