// The register-blocked micro-kernel at the heart of `GEMM.sgemm`.
//
// A micro-kernel computes one small tile of C, at most 6 rows x 64 columns, from two *packed* panels:
//
//     aPanel: [kc, 6]        six rows of A, stored k-major: aPanel[p * 6 + r] = A[r, p]
//     bPanel: [kc, 16 * nv]  up to 64 columns of B, stored k-major: bPanel[p * 16nv + j] = B[p, j]
//
// For every p it loads (up to) four 16-wide vectors of B, broadcasts each of the six A values and does
// 6 x 4 = 24 fused multiply-adds into 24 `SIMD16<Float>` accumulators. Those 24 accumulators are 24 of the
// 32 AVX-512 registers: the whole 6x64 tile of C lives in registers for the full k loop, so per p we touch
// memory only for 4 vector loads and 6 scalar broadcasts while doing 24 x 16 x 2 = 768 flops.
//
// Edge tiles (fewer than 6 rows of A left, or fewer than 64 columns of B) use the same body with `mr` rows and
// `nv` vectors. `mr` and `nv` are compile-time constants in each specialised entry point (the body is
// `@inline(__always)`), so the unused accumulators and FMAs disappear entirely.
//
// The kernel does not touch C. It writes the raw accumulators to `tile` ([6, 64] floats, row stride 64); the
// caller applies alpha/beta and writes the valid part into C (see `GEMM.storeTile`).

/// Where a micro-kernel reads the 6 values of A for step p: `value(step(p), r)` is A(row r, depth p).
/// Splitting it in two lets an implementation compute a per-step address once for all 6 rows.
protocol MicroPanelA {
    associatedtype Step
    func step(_ p: Int) -> Step
    func value(_ step: Step, _ r: Int) -> Float
}

extension GEMM {
    /// The usual A operand: a packed panel [kc, 6].
    struct PackedPanel: MicroPanelA {
        let base: UnsafePointer<Float>
        @inline(__always) func step(_ p: Int) -> UnsafePointer<Float> { base + 6 * p }
        @inline(__always) func value(_ step: UnsafePointer<Float>, _ r: Int) -> Float { step[r] }
    }

    /// Vector type used throughout the GEMM: one AVX-512 register of 16 floats.
    typealias Vec = SIMD16<Float>

    /// Rows of A per micro-tile.
    static let mr = 6
    /// Columns of B per micro-tile (4 vectors of 16).
    static let nr = 64

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> Vec {
        UnsafeRawPointer(p).loadUnaligned(as: Vec.self)
    }

    @inline(__always)
    static func store(_ v: Vec, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vec.self)
    }

    /// One row of the rank-1 update: c0..c3 += a * (b0, b1, b2, b3), for the first `nv` vectors.
    @inline(__always)
    static func fmaRow(_ a: Float, _ b0: Vec, _ b1: Vec, _ b2: Vec, _ b3: Vec, nv: Int,
                       _ c0: inout Vec, _ c1: inout Vec, _ c2: inout Vec, _ c3: inout Vec) {
        let av = Vec(repeating: a)
        c0 = c0.addingProduct(av, b0)
        if nv > 1 { c1 = c1.addingProduct(av, b1) }
        if nv > 2 { c2 = c2.addingProduct(av, b2) }
        if nv > 3 { c3 = c3.addingProduct(av, b3) }
    }

    @inline(__always)
    static func storeRow(_ tile: UnsafeMutablePointer<Float>, nv: Int, _ c0: Vec, _ c1: Vec, _ c2: Vec, _ c3: Vec) {
        store(c0, tile)
        if nv > 1 { store(c1, tile + 16) }
        if nv > 2 { store(c2, tile + 32) }
        if nv > 3 { store(c3, tile + 48) }
    }

    /// tile[0..<mr, 0..<16nv] = sum over p < kc of A(p, r) * bPanel[p, j], where A(p, r) = a.value(p, r).
    /// - a:     where the 6 A values of step p come from: a packed panel [kc, 6] (`PackedPanel`), or any other
    ///          layout (the convolution weight gradient reads them straight from the padded image)
    /// - bPanel: [kc, 16 * nv]
    /// - tile:   [6, 64] scratch, row stride 64
    @inline(__always)
    static func microKernelBody<A: MicroPanelA>(mr: Int, nv: Int, kc: Int, a: A, b: UnsafePointer<Float>,
                                                tile: UnsafeMutablePointer<Float>) {
        microKernelBody(mr: mr, nv: nv, segments: 1, segment: { _ in (a, b, kc) }, tile: tile)
    }

    /// The same tile summed over several runs of steps, with the accumulators kept in registers between them:
    /// tile = sum over s < segments of (A_s x B_s), where segment(s) = (A_s, bPanel_s [kc_s, 16 * nv], kc_s).
    /// The convolution kernels use it to skip the steps that would multiply the zero padding.
    @inline(__always)
    static func microKernelBody<A: MicroPanelA>(mr: Int, nv: Int, segments: Int,
                                                segment: (Int) -> (a: A, b: UnsafePointer<Float>, kc: Int),
                                                tile: UnsafeMutablePointer<Float>) {
        let zero = Vec()
        var c00 = zero, c01 = zero, c02 = zero, c03 = zero
        var c10 = zero, c11 = zero, c12 = zero, c13 = zero
        var c20 = zero, c21 = zero, c22 = zero, c23 = zero
        var c30 = zero, c31 = zero, c32 = zero, c33 = zero
        var c40 = zero, c41 = zero, c42 = zero, c43 = zero
        var c50 = zero, c51 = zero, c52 = zero, c53 = zero
        let bStride = 16 * nv
        for s in 0..<segments {
            let (a, b, kc) = segment(s)
            var pb = b
            for p in 0..<kc {
                let b0 = load(pb)
                let b1 = nv > 1 ? load(pb + 16) : zero
                let b2 = nv > 2 ? load(pb + 32) : zero
                let b3 = nv > 3 ? load(pb + 48) : zero
                let step = a.step(p)
                fmaRow(a.value(step, 0), b0, b1, b2, b3, nv: nv, &c00, &c01, &c02, &c03)
                if mr > 1 { fmaRow(a.value(step, 1), b0, b1, b2, b3, nv: nv, &c10, &c11, &c12, &c13) }
                if mr > 2 { fmaRow(a.value(step, 2), b0, b1, b2, b3, nv: nv, &c20, &c21, &c22, &c23) }
                if mr > 3 { fmaRow(a.value(step, 3), b0, b1, b2, b3, nv: nv, &c30, &c31, &c32, &c33) }
                if mr > 4 { fmaRow(a.value(step, 4), b0, b1, b2, b3, nv: nv, &c40, &c41, &c42, &c43) }
                if mr > 5 { fmaRow(a.value(step, 5), b0, b1, b2, b3, nv: nv, &c50, &c51, &c52, &c53) }
                pb += bStride
            }
        }
        storeRow(tile, nv: nv, c00, c01, c02, c03)
        if mr > 1 { storeRow(tile + 64, nv: nv, c10, c11, c12, c13) }
        if mr > 2 { storeRow(tile + 128, nv: nv, c20, c21, c22, c23) }
        if mr > 3 { storeRow(tile + 192, nv: nv, c30, c31, c32, c33) }
        if mr > 4 { storeRow(tile + 256, nv: nv, c40, c41, c42, c43) }
        if mr > 5 { storeRow(tile + 320, nv: nv, c50, c51, c52, c53) }
    }

    /// One full-height (6-row) tile for an A operand of any layout, nv = 1...4 vectors of B: what the
    /// convolution kernels use with A read from an image (`Conv2DKernels.ImagePanel`, `ContiguousRows`,
    /// `AdjacentRows`). Inlined into the caller, so each branch is the kernel specialised for its `A`.
    @inline(__always)
    static func sixRowTile<A: MicroPanelA>(nv: Int, kc: Int, a: A, b: UnsafePointer<Float>,
                                           tile: UnsafeMutablePointer<Float>) {
        switch nv {
        case 4: microKernelBody(mr: 6, nv: 4, kc: kc, a: a, b: b, tile: tile)
        case 3: microKernelBody(mr: 6, nv: 3, kc: kc, a: a, b: b, tile: tile)
        case 2: microKernelBody(mr: 6, nv: 2, kc: kc, a: a, b: b, tile: tile)
        default: microKernelBody(mr: 6, nv: 1, kc: kc, a: a, b: b, tile: tile)
        }
    }

    /// `sixRowTile` summed over several runs of steps (see the segmented `microKernelBody`).
    @inline(__always)
    static func sixRowTile<A: MicroPanelA>(nv: Int, segments: Int,
                                           segment: (Int) -> (a: A, b: UnsafePointer<Float>, kc: Int),
                                           tile: UnsafeMutablePointer<Float>) {
        switch nv {
        case 4: microKernelBody(mr: 6, nv: 4, segments: segments, segment: segment, tile: tile)
        case 3: microKernelBody(mr: 6, nv: 3, segments: segments, segment: segment, tile: tile)
        case 2: microKernelBody(mr: 6, nv: 2, segments: segments, segment: segment, tile: tile)
        default: microKernelBody(mr: 6, nv: 1, segments: segments, segment: segment, tile: tile)
        }
    }

    /// Signature shared by all specialised kernels: (kc, aPanel, bPanel, tile).
    typealias MicroKernel = (Int, UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void

    /// Picks the kernel specialised for `rows` (1...6) rows of A and `nv` (1...4) vectors of B.
    /// The full 6 x 64 kernel does almost all of the work; the others only run on the edges of C.
    static func microKernel(rows: Int, nv: Int) -> MicroKernel {
        switch (rows, nv) {
        case (6, 4): return { microKernelBody(mr: 6, nv: 4, kc: $0, a: PackedPanel(base: $1), b: $2, tile: $3) }
        case (6, 3): return { microKernelBody(mr: 6, nv: 3, kc: $0, a: PackedPanel(base: $1), b: $2, tile: $3) }
        case (6, 2): return { microKernelBody(mr: 6, nv: 2, kc: $0, a: PackedPanel(base: $1), b: $2, tile: $3) }
        case (6, 1): return { microKernelBody(mr: 6, nv: 1, kc: $0, a: PackedPanel(base: $1), b: $2, tile: $3) }
        case (5, 4): return { microKernelBody(mr: 5, nv: 4, kc: $0, a: PackedPanel(base: $1), b: $2, tile: $3) }
        case (5, 3): return { microKernelBody(mr: 5, nv: 3, kc: $0, a: PackedPanel(base: $1), b: $2, tile: $3) }
        case (5, 2): return { microKernelBody(mr: 5, nv: 2, kc: $0, a: PackedPanel(base: $1), b: $2, tile: $3) }
        case (5, 1): return { microKernelBody(mr: 5, nv: 1, kc: $0, a: PackedPanel(base: $1), b: $2, tile: $3) }
        case (4, 4): return { microKernelBody(mr: 4, nv: 4, kc: $0, a: PackedPanel(base: $1), b: $2, tile: $3) }
        case (4, 3): return { microKernelBody(mr: 4, nv: 3, kc: $0, a: PackedPanel(base: $1), b: $2, tile: $3) }
        case (4, 2): return { microKernelBody(mr: 4, nv: 2, kc: $0, a: PackedPanel(base: $1), b: $2, tile: $3) }
        case (4, 1): return { microKernelBody(mr: 4, nv: 1, kc: $0, a: PackedPanel(base: $1), b: $2, tile: $3) }
        case (3, 4): return { microKernelBody(mr: 3, nv: 4, kc: $0, a: PackedPanel(base: $1), b: $2, tile: $3) }
        case (3, 3): return { microKernelBody(mr: 3, nv: 3, kc: $0, a: PackedPanel(base: $1), b: $2, tile: $3) }
        case (3, 2): return { microKernelBody(mr: 3, nv: 2, kc: $0, a: PackedPanel(base: $1), b: $2, tile: $3) }
        case (3, 1): return { microKernelBody(mr: 3, nv: 1, kc: $0, a: PackedPanel(base: $1), b: $2, tile: $3) }
        case (2, 4): return { microKernelBody(mr: 2, nv: 4, kc: $0, a: PackedPanel(base: $1), b: $2, tile: $3) }
        case (2, 3): return { microKernelBody(mr: 2, nv: 3, kc: $0, a: PackedPanel(base: $1), b: $2, tile: $3) }
        case (2, 2): return { microKernelBody(mr: 2, nv: 2, kc: $0, a: PackedPanel(base: $1), b: $2, tile: $3) }
        case (2, 1): return { microKernelBody(mr: 2, nv: 1, kc: $0, a: PackedPanel(base: $1), b: $2, tile: $3) }
        case (1, 4): return { microKernelBody(mr: 1, nv: 4, kc: $0, a: PackedPanel(base: $1), b: $2, tile: $3) }
        case (1, 3): return { microKernelBody(mr: 1, nv: 3, kc: $0, a: PackedPanel(base: $1), b: $2, tile: $3) }
        case (1, 2): return { microKernelBody(mr: 1, nv: 2, kc: $0, a: PackedPanel(base: $1), b: $2, tile: $3) }
        default: return { microKernelBody(mr: 1, nv: 1, kc: $0, a: PackedPanel(base: $1), b: $2, tile: $3) }
        }
    }

    /// C[0..<rows, 0..<cols] = alpha * tile + beta * C (beta == 0: C is not read, so NaN garbage is fine).
    /// - tile: [6, 64] accumulators from a micro-kernel
    /// - c:    top-left of the destination block, row stride ldc
    @inline(__always)
    static func storeTile(_ tile: UnsafePointer<Float>, rows: Int, cols: Int, alpha: Float, beta: Float,
                          c: UnsafeMutablePointer<Float>, ldc: Int) {
        let fullVectors = cols / 16
        let va = Vec(repeating: alpha)
        let vb = Vec(repeating: beta)
        for r in 0..<rows {
            let t = tile + r * 64
            let dst = c + r * ldc
            for v in 0..<fullVectors {
                var x = load(t + 16 * v) * va
                if beta != 0 { x = x.addingProduct(vb, load(dst + 16 * v)) }
                store(x, dst + 16 * v)
            }
            for j in (16 * fullVectors)..<cols {
                dst[j] = beta == 0 ? alpha * t[j] : alpha * t[j] + beta * dst[j]
            }
        }
    }
}
