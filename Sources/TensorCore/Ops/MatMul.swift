/// Matrix products: `[M, K] x [K, N] -> [M, N]`, or batched `[B, M, K] x [B, K, N] -> [B, M, N]`.
/// Either operand may be used transposed without copying (`transposeA`, `transposeB`), which is how
/// attention computes `Q K^T` and how the gradient rules below avoid materializing transposes.

/// op(a) x op(b) for rank-2 or rank-3 (batched) tensors, through the GEMM kernel. Not recorded.
func batchedGEMM(_ a: Tensor, _ b: Tensor, transA: Bool, transB: Bool) -> Tensor {
    precondition(a.rank == b.rank && (a.rank == 2 || a.rank == 3), "matmul: operands must both be rank 2 or both rank 3, got \(a.shape) and \(b.shape)")
    let batched = a.rank == 3
    let batch = batched ? a.shape[0] : 1
    if batched { precondition(b.shape[0] == batch, "matmul: batch sizes differ: \(a.shape) and \(b.shape)") }
    let (ar, ac) = (a.shape[a.rank - 2], a.shape[a.rank - 1])
    let (br, bc) = (b.shape[b.rank - 2], b.shape[b.rank - 1])
    let (m, k) = transA ? (ac, ar) : (ar, ac)
    let (k2, n) = transB ? (bc, br) : (br, bc)
    precondition(k == k2, "matmul: inner sizes differ: \(a.shape)\(transA ? "^T" : "") x \(b.shape)\(transB ? "^T" : "")")
    let shape = batched ? [batch, m, n] : [m, n]
    return Tensor(shape: shape) { out in
        for i in 0..<batch {
            GEMM.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 1,
                       a: a.storage.pointer + i * ar * ac, lda: ac, b: b.storage.pointer + i * br * bc, ldb: bc,
                       beta: 0, c: out.baseAddress! + i * m * n, ldc: n)
        }
    }
}

extension Tensor {
    /// C = op(A) op(B). Gradient rules (G = dL/dC):
    ///   dA = G op(B)^T  (stored as A^T when A was used transposed: op(B) G^T)
    ///   dB = op(A)^T G  (stored as B^T when B was used transposed: G^T op(A))
    public static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
        let out = batchedGEMM(a, b, transA: transposeA, transB: transposeB)
        let (av, bv) = (a.detached, b.detached)
        return record("matmul", inputs: [a, b], output: out) { g in
            let da: Tensor? = !a.requiresGrad ? nil : transposeA
                ? batchedGEMM(bv, g, transA: transposeB, transB: true)
                : batchedGEMM(g, bv, transA: false, transB: !transposeB)
            let db: Tensor? = !b.requiresGrad ? nil : transposeB
                ? batchedGEMM(g, av, transA: true, transB: transposeA)
                : batchedGEMM(av, g, transA: !transposeA, transB: false)
            return [da, db]
        }
    }
}
