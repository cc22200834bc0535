/// Group normalization as one primitive (the loops are in Kernels/GroupNormKernels.swift). Its readable
/// definition is `groupNormalized` (Layers/Normalization.swift), composed from eight primitives; this op
/// computes the same function in two passes over the data instead of about twenty, and keeps only the
/// per-group statistics for backward. Tests check the two agree, values and gradients.
/// Explained in Chapters/02-UNet2D.md, "GroupNorm".
///
/// Forward, per sample n and group g (the C / G channels of the group, all their positions):
///   mean = E[x],  rstd = 1 / sqrt(Var[x] + eps)                    (biased variance, as PyTorch)
///   y = (x - mean) rstd gamma_c + beta_c                           then y = silu(y) when `silu` is set
/// Backward, with xhat = (x - mean) rstd and gpre = dL/d(pre-SiLU y):
///   dbeta_c = sum gpre,  dgamma_c = sum gpre xhat                  (over samples and positions)
///   dx = rstd (gamma_c gpre - mean_g(gamma gpre) - xhat mean_g(gamma gpre xhat))
extension Tensor {
    /// x: `[N, C, ...]`, weight (gamma) and bias (beta): `[C]` -> same shape as x.
    /// `silu: true` fuses the SiLU that usually follows (ResNet blocks): silu(groupNorm(x)) in the same pass.
    public static func groupNorm(_ x: Tensor, weight: Tensor, bias: Tensor, groups: Int, eps: Float, silu: Bool = false) -> Tensor {
        precondition(x.rank >= 2, "groupNorm: input must be [N, C, ...], got \(x.shape)")
        let (n, c) = (x.shape[0], x.shape[1])
        precondition(c % groups == 0, "groupNorm: \(c) channels do not split into \(groups) groups")
        precondition(weight.shape == [c] && bias.shape == [c], "groupNorm: weight and bias must be [\(c)], got \(weight.shape), \(bias.shape)")
        let g = GroupNormKernels.Geometry(samples: n, channels: c, groups: groups, spatial: x.count / max(n * c, 1), eps: eps, silu: silu)
        let mean = TensorStorage(count: n * groups), rstd = TensorStorage(count: n * groups)
        let p = GroupNormKernels.Pointers(x: x.storage.pointer, gamma: weight.storage.pointer, beta: bias.storage.pointer,
                                          mean: mean.pointer, rstd: rstd.pointer)
        let out = Tensor(shape: x.shape) { y in GroupNormKernels.forward(g, p, y: y.baseAddress!) }
        let (xv, wv, bv) = (x.detached, weight.detached, bias.detached)   // keep the storage alive for backward
        return record("groupNorm", inputs: [x, weight, bias], output: out) { gy in
            let dx = TensorStorage(count: xv.count), dw = TensorStorage(count: c), db = TensorStorage(count: c)
            withExtendedLifetime((xv, wv, bv, mean, rstd)) {
                GroupNormKernels.backward(g, p, gy: gy.storage.pointer, dx: dx.pointer, dgamma: dw.pointer, dbeta: db.pointer)
            }
            return [Tensor(shape: xv.shape, storage: dx, node: nil), Tensor(shape: [c], storage: dw, node: nil),
                    Tensor(shape: [c], storage: db, node: nil)]
        }
    }
}
