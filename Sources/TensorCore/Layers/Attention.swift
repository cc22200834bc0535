/// Scaled dot-product attention (Vaswani et al. 2017), composed from matmul and softmax:
///   Attention(Q, K, V) = softmax(Q K^T / sqrt(d)) V
/// q: `[B, T, d]`, k: `[B, S, d]`, v: `[B, S, dv]` -> `[B, T, dv]`. B may fold batch and heads together.
public func scaledDotProductAttention(query q: Tensor, key k: Tensor, value v: Tensor) -> Tensor {
    precondition(q.rank == 3 && k.rank == 3 && v.rank == 3, "attention: q, k, v must be [B, T, d], got \(q.shape), \(k.shape), \(v.shape)")
    let d = q.shape[2]
    let scores = Tensor.matmul(q, k, transposeB: true) * (1 / Float(d).squareRoot())   // [B, T, S]
    return Tensor.matmul(scores.softmax(), v)                                       // [B, T, dv]
}
