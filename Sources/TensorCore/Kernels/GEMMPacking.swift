// Packing: copying blocks of A and B into the exact order the micro-kernel reads them.
//
// The micro-kernel (GEMMMicroKernel.swift) walks k and, at each step, wants 6 consecutive floats of A (one per
// row of the tile) and 16 * nv consecutive floats of B (one per column). Packing rearranges a block of A into
// 6-row "panels" stored k-major and a block of B into <=64-column panels stored k-major, so the kernel then reads
// both with unit stride, straight from L1/L2, with no index arithmetic.
//
// Packing is also where the four transpose cases of sgemm are handled: the kernel only ever sees packed
// panels, so whether A is stored [M, K] or [K, M] (B [K, N] or [N, K]) only changes how the panel is gathered.
// Rows/columns beyond the matrix edge are filled with zeros so the kernel never needs to special-case them.

extension GEMM {
    /// Packs rows i0..<i0+rows, columns p0..<p0+kc of op(A) into ceil(rows/6) panels, each [kc, 6].
    /// Panel q starts at dst + q * 6 * kc; missing rows of the last panel are zero.
    /// - a: op(A) is [M, K]; stored [M, K] (lda >= K) or, when `trans`, [K, M] (lda >= M)
    static func packA(trans: Bool, a: UnsafePointer<Float>, lda: Int, i0: Int, rows: Int, p0: Int, kc: Int,
                      dst: UnsafeMutablePointer<Float>) {
        var panelStart = 0
        var d = dst
        while panelStart < rows {
            let r = min(mr, rows - panelStart)
            let i = i0 + panelStart
            if trans {
                // A(i, p) = a[p * lda + i]: the 6 values for one p are contiguous.
                for p in 0..<kc {
                    let src = a + (p0 + p) * lda + i
                    let out = d + p * 6
                    if r == 6 {
                        out[0] = src[0]; out[1] = src[1]; out[2] = src[2]
                        out[3] = src[3]; out[4] = src[4]; out[5] = src[5]
                    } else {
                        for q in 0..<6 { out[q] = q < r ? src[q] : 0 }
                    }
                }
            } else {
                // A(i, p) = a[i * lda + p]: interleave six row streams.
                if r == 6 {
                    let s0 = a + i * lda + p0, s1 = s0 + lda, s2 = s1 + lda
                    let s3 = s2 + lda, s4 = s3 + lda, s5 = s4 + lda
                    for p in 0..<kc {
                        let out = d + p * 6
                        out[0] = s0[p]; out[1] = s1[p]; out[2] = s2[p]
                        out[3] = s3[p]; out[4] = s4[p]; out[5] = s5[p]
                    }
                } else {
                    for q in 0..<6 {
                        if q < r {
                            let s = a + (i + q) * lda + p0
                            for p in 0..<kc { d[p * 6 + q] = s[p] }
                        } else {
                            for p in 0..<kc { d[p * 6 + q] = 0 }
                        }
                    }
                }
            }
            d += 6 * kc
            panelStart += mr
        }
    }

    /// Packs rows p0..<p0+kc, columns j0..<j0+cols (cols <= 64) of op(B) into one panel [kc, W],
    /// W = 16 * ceil(cols / 16); columns cols..<W are zero.
    /// - b: op(B) is [K, N]; stored [K, N] (ldb >= N) or, when `trans`, [N, K] (ldb >= K)
    static func packB(trans: Bool, b: UnsafePointer<Float>, ldb: Int, p0: Int, kc: Int, j0: Int, cols: Int,
                      dst: UnsafeMutablePointer<Float>) {
        let nv = (cols + 15) / 16
        let w = 16 * nv
        if !trans {
            // B(p, j) = b[p * ldb + j]: each k-row of the panel is a contiguous copy.
            let fullVectors = cols / 16
            for p in 0..<kc {
                let src = b + (p0 + p) * ldb + j0
                let out = dst + p * w
                for v in 0..<fullVectors { store(load(src + 16 * v), out + 16 * v) }
                if fullVectors < nv {
                    for j in (16 * fullVectors)..<w { out[j] = j < cols ? src[j] : 0 }
                }
            }
            return
        }
        // Transposed B: B(p, j) = b[j * ldb + p]. Column j of the panel is a contiguous row of storage, so
        // packing is a transpose. We do it in 16 x 16 blocks held in registers (see `transpose16`): 16 vector
        // loads, 64 shuffles, 16 vector stores, instead of 256 scalar strided moves.
        let fullBlocksJ = cols / 16
        let fullBlocksP = kc / 16
        for bj in 0..<nv {
            let jBase = 16 * bj
            if bj < fullBlocksJ {
                for bp in 0..<fullBlocksP {
                    let pBase = 16 * bp
                    let src = b + (j0 + jBase) * ldb + p0 + pBase
                    transpose16(src: src, ld: ldb, dst: dst + pBase * w + jBase, ldDst: w)
                }
                // Leftover p (kc not a multiple of 16): scalar.
                for p in (16 * fullBlocksP)..<kc {
                    let out = dst + p * w + jBase
                    for j in 0..<16 { out[j] = b[(j0 + jBase + j) * ldb + p0 + p] }
                }
            } else {
                // Last, partial block of columns: scalar, zero-padded.
                for p in 0..<kc {
                    let out = dst + p * w + jBase
                    for j in 0..<16 {
                        let jj = jBase + j
                        out[j] = jj < cols ? b[(j0 + jj) * ldb + p0 + p] : 0
                    }
                }
            }
        }
    }

    /// dst[q * ldDst + r] = src[r * ld + q] for a 16 x 16 block.
    ///
    /// Trick: view the 256 floats as an array indexed by 8 bits (row r: high 4 bits, column q: low 4 bits).
    /// A transpose swaps the two nibbles, i.e. rotates the index by 4 bits. One "unshuffle" (all even elements,
    /// then all odd ones) rotates the index right by one bit, so four unshuffles make a transpose. With
    /// the rows in 16 registers, one unshuffle is: new[i] = (old[2i].even, old[2i+1].even) for i < 8 and
    /// (old[2i-16].odd, old[2i-15].odd) for i >= 8 -- one two-source permute instruction per output vector.
    @inline(__always)
    static func transpose16(src: UnsafePointer<Float>, ld: Int, dst: UnsafeMutablePointer<Float>, ldDst: Int) {
        var r0 = load(src), r1 = load(src + ld), r2 = load(src + 2 * ld), r3 = load(src + 3 * ld)
        var r4 = load(src + 4 * ld), r5 = load(src + 5 * ld), r6 = load(src + 6 * ld), r7 = load(src + 7 * ld)
        var r8 = load(src + 8 * ld), r9 = load(src + 9 * ld), r10 = load(src + 10 * ld)
        var r11 = load(src + 11 * ld), r12 = load(src + 12 * ld), r13 = load(src + 13 * ld)
        var r14 = load(src + 14 * ld), r15 = load(src + 15 * ld)
        for _ in 0..<4 {
            let n0 = Vec(lowHalf: r0.evenHalf, highHalf: r1.evenHalf)
            let n1 = Vec(lowHalf: r2.evenHalf, highHalf: r3.evenHalf)
            let n2 = Vec(lowHalf: r4.evenHalf, highHalf: r5.evenHalf)
            let n3 = Vec(lowHalf: r6.evenHalf, highHalf: r7.evenHalf)
            let n4 = Vec(lowHalf: r8.evenHalf, highHalf: r9.evenHalf)
            let n5 = Vec(lowHalf: r10.evenHalf, highHalf: r11.evenHalf)
            let n6 = Vec(lowHalf: r12.evenHalf, highHalf: r13.evenHalf)
            let n7 = Vec(lowHalf: r14.evenHalf, highHalf: r15.evenHalf)
            let n8 = Vec(lowHalf: r0.oddHalf, highHalf: r1.oddHalf)
            let n9 = Vec(lowHalf: r2.oddHalf, highHalf: r3.oddHalf)
            let n10 = Vec(lowHalf: r4.oddHalf, highHalf: r5.oddHalf)
            let n11 = Vec(lowHalf: r6.oddHalf, highHalf: r7.oddHalf)
            let n12 = Vec(lowHalf: r8.oddHalf, highHalf: r9.oddHalf)
            let n13 = Vec(lowHalf: r10.oddHalf, highHalf: r11.oddHalf)
            let n14 = Vec(lowHalf: r12.oddHalf, highHalf: r13.oddHalf)
            let n15 = Vec(lowHalf: r14.oddHalf, highHalf: r15.oddHalf)
            r0 = n0; r1 = n1; r2 = n2; r3 = n3; r4 = n4; r5 = n5; r6 = n6; r7 = n7
            r8 = n8; r9 = n9; r10 = n10; r11 = n11; r12 = n12; r13 = n13; r14 = n14; r15 = n15
        }
        store(r0, dst); store(r1, dst + ldDst); store(r2, dst + 2 * ldDst); store(r3, dst + 3 * ldDst)
        store(r4, dst + 4 * ldDst); store(r5, dst + 5 * ldDst); store(r6, dst + 6 * ldDst)
        store(r7, dst + 7 * ldDst); store(r8, dst + 8 * ldDst); store(r9, dst + 9 * ldDst)
        store(r10, dst + 10 * ldDst); store(r11, dst + 11 * ldDst); store(r12, dst + 12 * ldDst)
        store(r13, dst + 13 * ldDst); store(r14, dst + 14 * ldDst); store(r15, dst + 15 * ldDst)
    }
}
