/// 2-D convolution and transposed convolution over `[N, C, H, W]` batches. The arithmetic lives in
/// `Kernels/Conv2DKernels.swift`, which runs the fast path `Kernels/ConvPlan.swift` picks for each layer and
/// pass (what they all compute: `Kernels/ConvReference.swift`); these functions add the gradient rules.
extension Tensor {
    /// y[n, co] = b[co] + sum_ci w[co, ci] (*) x[n, ci]
    /// - x: `[N, Cin, H, W]`, weight: `[Cout, Cin, KH, KW]`, bias: `[Cout]` -> `[N, Cout, OH, OW]`
    ///   with OH = (H + 2 padding - KH) / stride + 1.
    public static func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0) -> Tensor {
        precondition(x.rank == 4 && weight.rank == 4, "conv2d: input must be [N, C, H, W] and weight [Cout, Cin, KH, KW], got \(x.shape) and \(weight.shape)")
        precondition(x.shape[1] == weight.shape[1], "conv2d: input has \(x.shape[1]) channels, weight expects \(weight.shape[1])")
        if let bias { precondition(bias.shape == [weight.shape[0]], "conv2d: bias must be [\(weight.shape[0])], got \(bias.shape)") }
        let g = Conv2DGeometry(batch: x.shape[0], inChannels: x.shape[1], outChannels: weight.shape[0],
                               height: x.shape[2], width: x.shape[3], kernelHeight: weight.shape[2], kernelWidth: weight.shape[3],
                               stride: stride, padding: padding)
        precondition(g.outHeight > 0 && g.outWidth > 0, "conv2d: kernel \(weight.shape) too large for input \(x.shape) with padding \(padding)")
        let out = Tensor(shape: [g.batch, g.outChannels, g.outHeight, g.outWidth]) { out in
            Conv2DKernels.forward(g, input: x.storage.pointer, weight: weight.storage.pointer,
                                  bias: bias.map { UnsafePointer($0.storage.pointer) }, output: out.baseAddress!)
        }
        let (xv, wv) = (x.detached, weight.detached)
        let inputs = [x, weight] + (bias.map { [$0] } ?? [])
        // Under a profiler each layer shape gets its own row ("conv2d 64->64 3x3 @14"): which layers cost most.
        let op = Profiler.current == nil ? "conv2d" : "conv2d \(g.label)"
        return record(op, inputs: inputs, output: out) { gy in
            // dx = conv_transpose(gy, w);  dw = sum_n gy (*) x;  db = sum_{n,h,w} gy
            let dx: Tensor? = !x.requiresGrad ? nil : Tensor(shape: xv.shape) { dx in
                Conv2DKernels.backwardData(g, gradOutput: gy.storage.pointer, weight: wv.storage.pointer, gradInput: dx.baseAddress!)
            }
            var db: Tensor? = nil
            var dw: Tensor? = nil
            if weight.requiresGrad || (bias?.requiresGrad ?? false) {
                let dwT = Tensor.zeros(wv.shape)
                let dbT = bias == nil ? nil : Tensor.zeros([g.outChannels])
                Conv2DKernels.backwardWeight(g, input: xv.storage.pointer, gradOutput: gy.storage.pointer,
                                             gradWeight: dwT.storage.pointer, gradBias: dbT?.storage.pointer)
                dw = dwT
                db = dbT
            }
            return bias == nil ? [dx, dw] : [dx, dw, db]
        }
    }

    /// The transpose (adjoint) of `conv2d`: what conv2d's backward pass does to gradients, used as a layer
    /// that upsamples. x: `[N, Cin, H, W]`, weight: `[Cin, Cout, KH, KW]` (PyTorch's layout), bias `[Cout]`
    /// -> `[N, Cout, (H - 1) stride - 2 padding + KH, ...]`.
    public static func convTranspose2d(_ x: Tensor, weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0) -> Tensor {
        precondition(x.rank == 4 && weight.rank == 4 && x.shape[1] == weight.shape[0],
                     "convTranspose2d: input [N, Cin, H, W] and weight [Cin, Cout, KH, KW] disagree: \(x.shape), \(weight.shape)")
        let (kh, kw) = (weight.shape[2], weight.shape[3])
        let oh = (x.shape[2] - 1) * stride - 2 * padding + kh
        let ow = (x.shape[3] - 1) * stride - 2 * padding + kw
        // The convolution whose input gradient this is: it maps [N, Cout, OH, OW] -> [N, Cin, H, W].
        let g = Conv2DGeometry(batch: x.shape[0], inChannels: weight.shape[1], outChannels: weight.shape[0],
                               height: oh, width: ow, kernelHeight: kh, kernelWidth: kw, stride: stride, padding: padding)
        precondition(g.outHeight == x.shape[2] && g.outWidth == x.shape[3], "convTranspose2d: inconsistent geometry for \(x.shape)")
        var out = Tensor(shape: [g.batch, g.inChannels, oh, ow]) { out in
            Conv2DKernels.backwardData(g, gradOutput: x.storage.pointer, weight: weight.storage.pointer, gradInput: out.baseAddress!)
        }
        let (xv, wv) = (x.detached, weight.detached)
        out = record("convTranspose2d", inputs: [x, weight], output: out) { gy in
            let dx: Tensor? = !x.requiresGrad ? nil : Tensor(shape: xv.shape) { dx in
                Conv2DKernels.forward(g, input: gy.storage.pointer, weight: wv.storage.pointer, bias: nil, output: dx.baseAddress!)
            }
            let dw: Tensor? = !weight.requiresGrad ? nil : Tensor(shape: wv.shape) { dw in
                Conv2DKernels.backwardWeight(g, input: gy.storage.pointer, gradOutput: xv.storage.pointer, gradWeight: dw.baseAddress!, gradBias: nil)
            }
            return [dx, dw]
        }
        if let bias { out = out + bias.reshaped([1, g.inChannels, 1, 1]) }
        return out
    }
}
