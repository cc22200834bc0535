/// The fast convolution: the same numbers as ConvReference.swift, computed by whichever path is fastest for
/// the layer's shape. Each pass asks the plan (`ConvPath.choose`, ConvPlan.swift: every path and every rule)
/// and runs that path (Kernels/ConvPaths/, one file each); `path:` forces another, for tests and benchmarks.
///
/// Every path computes, for each sample n, with K = Cin*KH*KW and P = OH*OW pixels,
///
///     forward:        out_n[Cout, P] = W[Cout, K] x col_n[K, P]              (col_n: Im2Col.swift)
///     input gradient: gradIn_n = col2im(W^T[K, Cout] x gradOut_n[Cout, P]); for stride 1 this is itself a
///                     forward convolution of gradOut_n, padded by KH-1-p, with the weights flipped in space
///                     and Cin/Cout swapped: gradIn[ci, y, x] = sum over co, kh, kw of
///                     gradOut[co, y + p - kh, x + p - kw] * W[co, ci, kh, kw]
///     weight gradient: dW[Cout, K] = sum over n of gradOut_n[Cout, P] x col_n^T
///
/// but most never write col_n out. Parallelism: the batch is split between the cores, each running its own
/// samples with its own scratch buffers (`Parallel.forEachWorker`).
public enum Conv2DKernels {
    /// output[N,Cout,OH,OW] = conv(input[N,Cin,H,W], weight[Cout,Cin,KH,KW]) + bias[Cout] (bias optional).
    /// Overwrites output. `path` (one that `applies(to: g, .forward)`) overrides the plan.
    public static func forward(_ g: Conv2DGeometry, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                               bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>,
                               path: ConvPath? = nil) {
        g.validate()
        if g.batch == 0 { return }
        let path = checked(path, g, .forward)
        if path == .pointwise {
            pointwiseForward(g, input: input, weight: weight, bias: bias, output: output)
            return
        }
        convolve(PatchShape(g), path: path, batch: g.batch, outChannels: g.outChannels, input: input,
                 weight: weight, bias: bias, output: output)
    }

    /// gradInput[N,Cin,H,W] = d/dinput given gradOutput[N,Cout,OH,OW]. Overwrites gradInput.
    /// `path` (one that `applies(to: g, .inputGradient)`) overrides the plan.
    public static func backwardData(_ g: Conv2DGeometry, gradOutput: UnsafePointer<Float>,
                                    weight: UnsafePointer<Float>, gradInput: UnsafeMutablePointer<Float>,
                                    path: ConvPath? = nil) {
        g.validate()
        if g.batch == 0 { return }
        switch checked(path, g, .inputGradient) {
        case .pointwise:
            pointwiseInputGradient(g, gradOutput: gradOutput, weight: weight, gradInput: gradInput)
        case .stridedInputGradient:
            sampleMajorBackwardData(g, gradOutput: gradOutput, weight: weight, gradInput: gradInput)
        case .col2im:
            col2imInputGradient(g, gradOutput: gradOutput, weight: weight, gradInput: gradInput)
        case let forwardShaped:
            // Stride 1: a forward convolution of gradOutput with the flipped weights.
            let flipped = flippedWeights(g, weight)
            flipped.withUnsafeBufferPointer {
                convolve(g.inputGradientAsConvolution!, path: forwardShaped, batch: g.batch, outChannels: g.inChannels,
                         input: gradOutput, weight: $0.baseAddress!, bias: nil, output: gradInput)
            }
        }
    }

    /// gradWeight[Cout,Cin,KH,KW] (and gradBias[Cout] if non-nil) OVERWRITTEN with the gradient summed over
    /// the batch. `path` (one that `applies(to: g, .weightGradient)`) overrides the plan.
    public static func backwardWeight(_ g: Conv2DGeometry, input: UnsafePointer<Float>,
                                      gradOutput: UnsafePointer<Float>, gradWeight: UnsafeMutablePointer<Float>,
                                      gradBias: UnsafeMutablePointer<Float>?, path: ConvPath? = nil) {
        g.validate()
        if g.batch == 0 {
            gradWeight.update(repeating: 0, count: g.outChannels * g.patchSize)
            gradBias?.update(repeating: 0, count: g.outChannels)
            return
        }
        let (x, dy, dW, dB) = (input, gradOutput, gradWeight, gradBias)
        switch checked(path, g, .weightGradient) {
        case .direct: directWeightGradientBatch(g, input: x, gradOutput: dy, gradWeight: dW, gradBias: dB)
        case .tapWeightGradient: tapWeightGradient(g, input: x, gradOutput: dy, gradWeight: dW, gradBias: dB)
        case .rowWeightGradient: rowWeightGradient(g, input: x, gradOutput: dy, gradWeight: dW, gradBias: dB)
        case .imageWeightGradient: implicitWeightGradient(g, input: x, gradOutput: dy, gradWeight: dW, gradBias: dB)
        case let path:  // .pointwise or .im2col
            im2colWeightGradient(g, input: x, gradOutput: dy, gradWeight: dW, gradBias: dB,
                                 inputIsColumns: path == .pointwise)
        }
    }

    /// The plan's path for `pass`, or the forced one after checking that it applies.
    static func checked(_ forced: ConvPath?, _ g: Conv2DGeometry, _ pass: ConvPass) -> ConvPath {
        guard let forced else { return ConvPath.choose(for: g, pass) }
        precondition(forced.applies(to: g, pass), "Conv2DKernels: path \(forced.rawValue) cannot compute the \(pass.rawValue) of \(g.label)")
        return forced
    }

    /// A forward-shaped path: output[n] = weight x col(input[n]) (+ bias).
    /// - input: [batch, shape.channels, H, W]; weight: [m, shape.patchSize]; output: [batch, m, OH, OW]
    static func convolve(_ shape: PatchShape, path: ConvPath, batch: Int, outChannels m: Int,
                         input: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                         output: UnsafeMutablePointer<Float>) {
        switch path {
        case .direct:
            directConvolutionBatch(shape, batch: batch, outChannels: m, input: input, weight: weight, bias: bias,
                                   output: output)
        case .fewInputs:
            fewInputsConvolution(shape, batch: batch, outChannels: m, input: input, weight: weight, bias: bias,
                                 output: output)
        case .imageDirect, .sampleMajor:
            imageDirectConvolution(shape, batch: batch, outChannels: m, input: input, weight: weight, bias: bias,
                                   output: output, sampleMajor: path == .sampleMajor)
        case .implicitIm2col:
            implicitConvolution(shape, batch: batch, outChannels: m, input: input, weight: weight, bias: bias,
                                output: output)
        default:
            preconditionFailure("Conv2DKernels: \(path.rawValue) is not a forward-shaped path")
        }
    }

    /// flipped[ci, co, a, b] = W[co, ci, KH-1-a, KW-1-b]: the weights of the stride-1 input gradient as a
    /// convolution, a [Cin, Cout*KH*KW] matrix.
    static func flippedWeights(_ g: Conv2DGeometry, _ weight: UnsafePointer<Float>) -> [Float] {
        let (cin, cout, kh, kw) = (g.inChannels, g.outChannels, g.kernelHeight, g.kernelWidth)
        var flipped = [Float](repeating: 0, count: cin * cout * kh * kw)
        for co in 0..<cout {
            for ci in 0..<cin {
                for a in 0..<kh {
                    for b in 0..<kw {
                        flipped[((ci * cout + co) * kh + a) * kw + b] =
                            weight[((co * cin + ci) * kh + (kh - 1 - a)) * kw + (kw - 1 - b)]
                    }
                }
            }
        }
        return flipped
    }
}
