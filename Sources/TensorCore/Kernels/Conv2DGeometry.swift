/// Shape of a 2-D convolution: NCHW input, weights [Cout, Cin, KH, KW], stride s, zero padding p on all sides.
public struct Conv2DGeometry: Sendable, Equatable {
    public var batch, inChannels, outChannels, height, width, kernelHeight, kernelWidth, stride, padding: Int

    public init(batch: Int, inChannels: Int, outChannels: Int, height: Int, width: Int, kernelHeight: Int,
                kernelWidth: Int, stride: Int = 1, padding: Int = 0) {
        self.batch = batch
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.height = height
        self.width = width
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
        self.stride = stride
        self.padding = padding
    }

    /// (H + 2p - KH) / s + 1
    public var outHeight: Int { (height + 2 * padding - kernelHeight) / stride + 1 }
    /// (W + 2p - KW) / s + 1
    public var outWidth: Int { (width + 2 * padding - kernelWidth) / stride + 1 }

    /// Cin * KH * KW: the inner (K) dimension of the convolution-as-GEMM.
    var patchSize: Int { inChannels * kernelHeight * kernelWidth }
    var inPlane: Int { height * width }
    var outPlane: Int { outHeight * outWidth }
    /// A 1x1, stride-1, unpadded convolution needs no im2col: the input sample already is the column matrix.
    var isPointwise: Bool { kernelHeight == 1 && kernelWidth == 1 && stride == 1 && padding == 0 }

    /// "Cin->Cout KHxKW [sS] @H", as in the rows of `Benchmarks --kernels` and `--profile`.
    public var label: String {
        "\(inChannels)->\(outChannels) \(kernelHeight)x\(kernelWidth)\(stride > 1 ? " s\(stride)" : "") @\(height)"
    }

    func validate() {
        precondition(batch >= 0 && inChannels > 0 && outChannels > 0 && stride > 0 && padding >= 0,
                     "Conv2DGeometry: invalid \(self)")
        precondition(outHeight > 0 && outWidth > 0, "Conv2DGeometry: kernel larger than padded input \(self)")
    }
}
