/// Scaled dot-product attention (Vaswani et al. 2017):
///   Attention(Q, K, V) = softmax(Q K^T / sqrt(d)) V
///
/// Two implementations of the same function:
/// - `scaledDotProductAttentionComposed`: the definition, composed from matmul and softmax. Easy to read, but
///   it keeps the `[B, T, S]` scores and probabilities of every layer alive for backward (hundreds of MB).
/// - `scaledDotProductAttention` / `multiHeadAttention`: one fused primitive (Kernels/AttentionKernels.swift)
///   that keeps only each row's log-sum-exp and rebuilds the probabilities in backward ("flash attention"
///   style), with its gradient rule below. Tests check the two agree, values and gradients.
/// Explained in Chapters/02-UNet2D.md, "Attention at low resolution".

/// q: `[B, T, d]`, k: `[B, S, d]`, v: `[B, S, dv]` -> `[B, T, dv]`. B may fold batch and heads together.
public func scaledDotProductAttention(query q: Tensor, key k: Tensor, value v: Tensor) -> Tensor {
    precondition(q.rank == 3 && k.rank == 3 && v.rank == 3, "attention: q, k, v must be [B, T, d], got \(q.shape), \(k.shape), \(v.shape)")
    precondition(q.shape[0] == k.shape[0] && k.shape[0] == v.shape[0] && q.shape[2] == k.shape[2] && k.shape[1] == v.shape[1],
                 "attention: shapes do not agree: q \(q.shape), k \(k.shape), v \(v.shape)")
    let g = AttentionGeometry(samples: q.shape[0], heads: 1, queries: q.shape[1], keys: k.shape[1],
                              headDim: q.shape[2], valueDim: v.shape[2])
    return fusedAttention(q, k, v, g, outputShape: [g.samples, g.queries, g.valueDim])
}

/// Multi-head attention on token-major tensors, the heads split and merged without copies:
/// q: `[N, T, heads * d]`, k: `[N, S, heads * d]`, v: `[N, S, heads * dv]` -> `[N, T, heads * dv]`.
/// Equal to splitting the channels into heads (`[N * heads, T, d]`), attending per head and merging back.
public func multiHeadAttention(query q: Tensor, key k: Tensor, value v: Tensor, heads: Int) -> Tensor {
    precondition(q.rank == 3 && k.rank == 3 && v.rank == 3, "attention: q, k, v must be [N, T, C], got \(q.shape), \(k.shape), \(v.shape)")
    precondition(q.shape[2] % heads == 0 && v.shape[2] % heads == 0 && q.shape[2] == k.shape[2],
                 "attention: channels \(q.shape[2]), \(v.shape[2]) do not split into \(heads) heads")
    precondition(q.shape[0] == k.shape[0] && k.shape[0] == v.shape[0] && k.shape[1] == v.shape[1],
                 "attention: shapes do not agree: q \(q.shape), k \(k.shape), v \(v.shape)")
    let g = AttentionGeometry(samples: q.shape[0], heads: heads, queries: q.shape[1], keys: k.shape[1],
                              headDim: q.shape[2] / heads, valueDim: v.shape[2] / heads)
    return fusedAttention(q, k, v, g, outputShape: [g.samples, g.queries, v.shape[2]])
}

/// The definition, from primitives: S = Q K^T / sqrt(d) `[B, T, S]`, P = softmax(S), O = P V `[B, T, dv]`.
public func scaledDotProductAttentionComposed(query q: Tensor, key k: Tensor, value v: Tensor) -> Tensor {
    precondition(q.rank == 3 && k.rank == 3 && v.rank == 3, "attention: q, k, v must be [B, T, d], got \(q.shape), \(k.shape), \(v.shape)")
    let d = q.shape[2]
    let scores = Tensor.matmul(q, k, transposeB: true) * (1 / Float(d).squareRoot())   // [B, T, S]
    return Tensor.matmul(scores.softmax(), v)                                       // [B, T, dv]
}

/// The fused primitive: forward saves O and the row log-sum-exp `[B, T]`; backward (given dO) returns
///   dQ = dS K / sqrt(d),  dK = dS^T Q / sqrt(d),  dV = P^T dO,  with dS = P * (dO V^T - rowsum(dO * O)).
func fusedAttention(_ q: Tensor, _ k: Tensor, _ v: Tensor, _ g: AttentionGeometry, outputShape: [Int]) -> Tensor {
    let lse = TensorStorage(count: g.batch * g.queries)
    let out = Tensor(shape: outputShape) { o in
        AttentionKernels.forward(g, .init(q: q.storage.pointer, k: k.storage.pointer, v: v.storage.pointer,
                                          o: o.baseAddress!, lse: lse.pointer))
    }
    let (qv, kv, vv, ov) = (q.detached, k.detached, v.detached, out.detached)
    return Tensor.record("attention", inputs: [q, k, v], output: out) { dO in
        let (dQ, dK, dV) = (TensorStorage(count: qv.count), TensorStorage(count: kv.count), TensorStorage(count: vv.count))
        AttentionKernels.backward(g, .init(q: qv.storage.pointer, k: kv.storage.pointer, v: vv.storage.pointer,
                                           o: ov.storage.pointer, lse: lse.pointer),
                                  .init(dO: dO.storage.pointer, dQ: dQ.pointer, dK: dK.pointer, dV: dV.pointer))
        return [Tensor(shape: qv.shape, storage: dQ, node: nil), Tensor(shape: kv.shape, storage: dK, node: nil),
                Tensor(shape: vv.shape, storage: dV, node: nil)]
    }
}
