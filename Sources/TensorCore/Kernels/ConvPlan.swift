// Which path computes a convolution pass: every path named once, and every rule that picks one in one place.
//
// All the paths compute the same numbers as ConvReference.swift (ConvKernelTests runs every path that applies
// on every chapter layer shape against it); they differ only in speed, which depends on the layer's shape.
// `ConvPath.rule(for:_:)` holds the rules, each with the measurement behind it (`Benchmarks --kernels`
// on the chapter models' layers at batch 128, 2 cores; `--path NAME` times any path on any layer), and
// `ConvPath.choose(for:_:)` uses them unless this machine has measured otherwise (ConvTuning.swift).
// `ConvPath.applies(to:_:)` says which paths *can* compute a pass of a geometry, whatever their speed.

/// The three passes of a convolution layer.
public enum ConvPass: String, CaseIterable, Sendable {
    /// output = conv(input, W) + bias
    case forward
    /// d loss / d input, from d loss / d output
    case inputGradient = "input-gradient"
    /// d loss / d W and d loss / d bias, summed over the batch
    case weightGradient = "weight-gradient"
}

/// The ways `Conv2DKernels` can compute a pass, one file each in Kernels/ConvPaths/.
///
/// The forward-shaped paths (direct, few inputs, implicit im2col, image direct, sample-major) compute a
/// forward convolution; they also compute the input gradient of a stride-1 layer, which is itself a forward
/// convolution (of gradOutput, padded by KH-1-p, with the weights flipped in space and Cin/Cout swapped).
public enum ConvPath: String, CaseIterable, Sendable {
    /// 1x1, stride 1, no padding: the input sample already is the column matrix; plain GEMMs
    /// (ConvPointwise.swift; its weight gradient is im2colWeightGradient's, in Im2Col.swift). All passes.
    case pointwise
    /// Vectors along output rows, one multiply-add per weight tap, no GEMM (ConvDirect.swift). Stride 1;
    /// all passes.
    case direct
    /// GEMM tiles of 16-pixel output-row vectors, stored once with the bias (ConvFewInputs.swift).
    /// Forward-shaped, stride 1, output rows at least 16 wide, K at most 384 (one k-block).
    case fewInputs = "few-inputs"
    /// The GEMM packs its panels of the column matrix straight from a zero-padded copy of the input
    /// (ConvImplicitIm2Col.swift). Forward-shaped, any geometry.
    case implicitIm2col = "implicit-im2col"
    /// out^T = col^T x W^T with the column matrix read straight from the padded image, nothing packed but the
    /// weights (ConvImageDirect.swift). Forward-shaped, output channels a multiple of 16.
    case imageDirect = "image-direct"
    /// Image direct with six samples' same pixel per tile, skipping the taps on the padding
    /// (ConvSampleMajor.swift). Forward-shaped, output channels a multiple of 16.
    case sampleMajor = "sample-major"
    /// The input gradient over only the taps that reach each input pixel, six samples per tile
    /// (ConvStridedBackwardData.swift). Input gradient, input channels a multiple of 16.
    case stridedInputGradient = "strided-input-gradient"
    /// dcol = W^T x gradOutput, then col2im (Im2Col.swift). Input gradient, any geometry.
    case col2im
    /// dW^T = col x dout^T with the column matrix read straight from the padded image
    /// (ConvWeightGradient.swift). Weight gradient, any geometry.
    case imageWeightGradient = "image-weight-gradient"
    /// The same sum tap by tap over the pixels whose input is real (ConvTapWeightGradient.swift).
    /// Weight gradient, stride 1.
    case tapWeightGradient = "tap-weight-gradient"
    /// The same sum kernel row by kernel row, skipping the padding rows (ConvRowWeightGradient.swift).
    /// Weight gradient, stride 1.
    case rowWeightGradient = "row-weight-gradient"
    /// dW = dout x col^T with the column matrix written out by im2col (Im2Col.swift). Weight gradient, any
    /// geometry.
    case im2col

    /// Whether this path can compute `pass` of `g` (whether or not it is the fastest).
    public func applies(to g: Conv2DGeometry, _ pass: ConvPass) -> Bool {
        switch pass {
        case .forward:
            return self == .pointwise ? g.isPointwise : appliesAsConvolution(Conv2DKernels.PatchShape(g), m: g.outChannels)
        case .inputGradient:
            switch self {
            case .pointwise: return g.isPointwise
            case .stridedInputGradient: return g.inChannels % 16 == 0
            case .col2im: return true
            default:
                guard let shape = g.inputGradientAsConvolution else { return false }
                return appliesAsConvolution(shape, m: g.inChannels)
            }
        case .weightGradient:
            switch self {
            case .pointwise: return g.isPointwise
            case .direct, .tapWeightGradient, .rowWeightGradient: return g.stride == 1
            case .imageWeightGradient, .im2col: return true
            default: return false
            }
        }
    }

    /// Whether a forward-shaped path can compute a convolution of `shape` with `m` output channels.
    func appliesAsConvolution(_ shape: Conv2DKernels.PatchShape, m: Int) -> Bool {
        switch self {
        case .direct: return shape.stride == 1
        // The packed weights are read as one panel of depth K: one k-block of the GEMM.
        case .fewInputs: return shape.stride == 1 && shape.outWidth >= 16 && shape.patchSize <= GEMM.kcMax
        case .implicitIm2col: return true
        case .imageDirect, .sampleMajor: return m % 16 == 0
        default: return false
        }
    }

    /// Every path that can compute `pass` of `g`.
    public static func applicable(to g: Conv2DGeometry, _ pass: ConvPass) -> [ConvPath] {
        allCases.filter { $0.applies(to: g, pass) }
    }

    /// The plan: the path `Conv2DKernels` runs for `pass` of `g` unless told otherwise. A batch of 0 never
    /// reaches a path (the kernels return at once). The path measured fastest on this machine where
    /// `Benchmarks --tune-conv` stored one (ConvTuning.swift), else the rule.
    public static func choose(for g: Conv2DGeometry, _ pass: ConvPass) -> ConvPath {
        ConvTuning.path(for: g, pass, sixPerWorker: sixPerWorker(g)) ?? rule(for: g, pass)
    }

    /// The batch is split between the cores (Parallel.forEachWorker): the sample-major paths need six
    /// samples per worker, since they compute six at a time.
    static func sixPerWorker(_ g: Conv2DGeometry) -> Bool { g.batch >= GEMM.mr * Parallel.workers(batch: g.batch) }

    /// The rules, each with the measurement behind it (made on a Zen 5 unless said otherwise).
    public static func rule(for g: Conv2DGeometry, _ pass: ConvPass) -> ConvPath {
        let sixPerWorker = sixPerWorker(g)
        switch pass {
        case .forward:
            if g.isPointwise { return .pointwise }
            let shape = Conv2DKernels.PatchShape(g)
            // Few inputs: stride 1, K = Cin * KH * KW <= 32 (one input channel up to 5x5, three up to 3x3),
            // output rows at least 16 wide and at least 6 output channels (the first layer of a UNet). With
            // K = 9 the implicit-im2col GEMM handles each tile three more times after 9 steps of multiply-adds
            // (scratch, storeTile, a bias pass), which for a 1 -> 32 layer costs more than the arithmetic. On
            // the chapter models' 1 -> 32 layers on 28x28 (batch 128): 3x3 from 210-215k to 402-414k img/s,
            // 5x5 from 144-149k to 214k.
            if shape.stride == 1 && shape.patchSize <= 32 && shape.outWidth >= 16 && g.outChannels >= GEMM.mr {
                return .fewInputs
            }
            return convolutionPath(shape, m: g.outChannels, sixPerWorker: sixPerWorker)
        case .inputGradient:
            if g.isPointwise { return .pointwise }
            // Stride 1: the input gradient is a forward convolution, on the same paths as the forward pass;
            // but not few inputs, which is forward only: without a bias (the input gradient) the
            // implicit-im2col path skips its bias pass and measured as fast (3x3) or 8% faster (5x5, the
            // 32 -> 1 layer's input gradient).
            if let shape = g.inputGradientAsConvolution {
                return convolutionPath(shape, m: g.inChannels, sixPerWorker: sixPerWorker)
            }
            // Strided: only the taps that reach each input pixel (2.25 of 9 for 3x3 stride 2), when the input
            // channels fill whole vectors (32 or more) and each core has six samples or more (a group of six is
            // computed whole, so with fewer the waste outweighs the gain). On 64->64 3x3 stride 2 @14 (batch
            // 128) the input gradient went from 51k to 98k img/s. Otherwise (and for stride 1 with padding as
            // large as the kernel, which no chapter model has) dcol = W^T x gradOutput and col2im.
            if g.stride > 1 && g.inChannels % 16 == 0 && g.inChannels >= 32 && sixPerWorker {
                return .stridedInputGradient
            }
            return .col2im
        case .weightGradient:
            // One or two output channels (the 32 -> 1 output layer): a GEMM would use one row of its 6-row tile
            // and still pack every element of the column matrix for one multiply-add.
            if g.stride == 1 && g.outChannels <= 2 && !g.isPointwise { return .direct }
            if g.stride == 1 && g.outChannels >= 16 && !g.isPointwise {
                let valid = Conv2DKernels.PatchShape(g).validTapFraction
                // Tap by tap where a quarter or more of the taps are padding: a 5x5 kernel on 7x7 (31% padding)
                // gains 14%; at 16-18% padding (5x5 on 14x14, 3x3 on 7x7) the per-tap copy of dout and the
                // channels-last image cost more than the skipped taps save (3-20% slower).
                if valid <= 0.75 { return .tapWeightGradient }
                // Kernel row by kernel row at 10-25% padding on 100 or more output pixels: 5x5 on 14x14 (16%
                // padding) gains 0-6%. Where less is padding (3x3 on 14x14, 9%) the image weight gradient
                // measured as fast or up to 7% faster, and so it did on 7x7 planes, whose 49 pixels make a short
                // k-loop for each stored tile.
                if valid <= 0.9 && g.outPlane >= 100 { return .rowWeightGradient }
            }
            // 16 or more output channels: the column matrix read straight from the image. Below that the
            // Cout-wide vectors would be mostly empty and the im2col path is faster.
            if g.outChannels >= 16 && !g.isPointwise { return .imageWeightGradient }
            return g.isPointwise ? .pointwise : .im2col
        }
    }

    /// The forward-shaped rules: a convolution of `shape` with `m` output channels (GEMM rows).
    static func convolutionPath(_ shape: Conv2DKernels.PatchShape, m: Int, sixPerWorker: Bool) -> ConvPath {
        // One or two channels on the GEMM's row side, stride 1 (the 32 -> 1 output layer, the input gradient
        // of a 1 -> 32 layer): a GEMM would use one row of its 6-row tile.
        if m <= 2 && shape.stride == 1 { return .direct }
        // Image direct, chosen from `Benchmarks --kernels` runs of both paths (batch 128):
        // - planes up to 14x14 with 32 or more channels in whole vectors: 7-28% faster (the packing dominated);
        // - 28x28 planes with exactly 32 channels and K >= 256: 11-28% faster (32 rows fill 6-row GEMM tiles
        //   only to 32/36, and the copy of each column element serves just 32 multiply-adds);
        // - not 28x28 with 64 or 96 channels (the packed GEMM is as fast or up to 10% faster), and never a small
        //   K such as a 1 -> 32 layer (K = 9 or 25: the tile bookkeeping costs more than the copies it saves).
        let plane = shape.outHeight * shape.outWidth
        if m % 16 == 0 && m >= 32 && (plane <= 196 || (m == 32 && shape.patchSize >= 256)) {
            // Sample-major when every core has six or more samples and a tenth of the taps or more fall on the
            // padding: 5x5 kernels on 7x7 and 14x14 planes (+10-25% measured), 3x3 on 7x7 (+5%); not 3x3 on
            // 14x14 or 28x28, nor strided layers, where the channels-last copy costs more than the skipped taps
            // save.
            if shape.stride == 1 && sixPerWorker && shape.validTapFraction <= 0.9 { return .sampleMajor }
            return .imageDirect
        }
        // Everything else: implicit im2col, so the column matrix (over a megabyte per sample for a 64-channel
        // 5x5 layer) is never written out.
        return .implicitIm2col
    }
}

extension Conv2DGeometry {
    /// The stride-1 input gradient as a forward convolution: of gradOutput [N, Cout, OH, OW], padded by
    /// KH-1-p and KW-1-p, with the flipped weights [Cin, Cout, KH, KW] (`Conv2DKernels.flippedWeights`);
    /// nil for a strided layer (or padding as large as the kernel).
    var inputGradientAsConvolution: Conv2DKernels.PatchShape? {
        guard stride == 1 && padding < kernelHeight && padding < kernelWidth else { return nil }
        return Conv2DKernels.PatchShape(channels: outChannels, height: outHeight, width: outWidth,
                                        kernelHeight: kernelHeight, kernelWidth: kernelWidth, stride: 1,
                                        padH: kernelHeight - 1 - padding, padW: kernelWidth - 1 - padding)
    }
}
