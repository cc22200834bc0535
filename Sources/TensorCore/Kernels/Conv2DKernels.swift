// TEMPORARY naive convolution: replaced by the im2col + GEMM kernels.
public struct Conv2DGeometry: Sendable, Equatable {
    public var batch, inChannels, outChannels, height, width, kernelHeight, kernelWidth, stride, padding: Int
    public init(batch: Int, inChannels: Int, outChannels: Int, height: Int, width: Int, kernelHeight: Int, kernelWidth: Int, stride: Int = 1, padding: Int = 0) {
        self.batch = batch; self.inChannels = inChannels; self.outChannels = outChannels; self.height = height; self.width = width
        self.kernelHeight = kernelHeight; self.kernelWidth = kernelWidth; self.stride = stride; self.padding = padding
    }
    public var outHeight: Int { (height + 2 * padding - kernelHeight) / stride + 1 }
    public var outWidth: Int { (width + 2 * padding - kernelWidth) / stride + 1 }
}
public enum Conv2DKernels {
    public static func forward(_ g: Conv2DGeometry, input: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>) {
        let (oh, ow) = (g.outHeight, g.outWidth)
        for n in 0..<g.batch { for co in 0..<g.outChannels { for y in 0..<oh { for x in 0..<ow {
            var acc: Float = bias?[co] ?? 0
            for ci in 0..<g.inChannels { for ky in 0..<g.kernelHeight { for kx in 0..<g.kernelWidth {
                let iy = y * g.stride - g.padding + ky, ix = x * g.stride - g.padding + kx
                if iy < 0 || iy >= g.height || ix < 0 || ix >= g.width { continue }
                acc += input[((n * g.inChannels + ci) * g.height + iy) * g.width + ix] * weight[((co * g.inChannels + ci) * g.kernelHeight + ky) * g.kernelWidth + kx]
            } } }
            output[((n * g.outChannels + co) * oh + y) * ow + x] = acc
        } } } }
    }
    public static func backwardData(_ g: Conv2DGeometry, gradOutput: UnsafePointer<Float>, weight: UnsafePointer<Float>, gradInput: UnsafeMutablePointer<Float>) {
        let (oh, ow) = (g.outHeight, g.outWidth)
        gradInput.initialize(repeating: 0, count: g.batch * g.inChannels * g.height * g.width)
        for n in 0..<g.batch { for co in 0..<g.outChannels { for y in 0..<oh { for x in 0..<ow {
            let go = gradOutput[((n * g.outChannels + co) * oh + y) * ow + x]
            for ci in 0..<g.inChannels { for ky in 0..<g.kernelHeight { for kx in 0..<g.kernelWidth {
                let iy = y * g.stride - g.padding + ky, ix = x * g.stride - g.padding + kx
                if iy < 0 || iy >= g.height || ix < 0 || ix >= g.width { continue }
                gradInput[((n * g.inChannels + ci) * g.height + iy) * g.width + ix] += go * weight[((co * g.inChannels + ci) * g.kernelHeight + ky) * g.kernelWidth + kx]
            } } }
        } } } }
    }
    public static func backwardWeight(_ g: Conv2DGeometry, input: UnsafePointer<Float>, gradOutput: UnsafePointer<Float>, gradWeight: UnsafeMutablePointer<Float>, gradBias: UnsafeMutablePointer<Float>?) {
        let (oh, ow) = (g.outHeight, g.outWidth)
        gradWeight.initialize(repeating: 0, count: g.outChannels * g.inChannels * g.kernelHeight * g.kernelWidth)
        gradBias?.initialize(repeating: 0, count: g.outChannels)
        for n in 0..<g.batch { for co in 0..<g.outChannels { for y in 0..<oh { for x in 0..<ow {
            let go = gradOutput[((n * g.outChannels + co) * oh + y) * ow + x]
            gradBias?[co] += go
            for ci in 0..<g.inChannels { for ky in 0..<g.kernelHeight { for kx in 0..<g.kernelWidth {
                let iy = y * g.stride - g.padding + ky, ix = x * g.stride - g.padding + kx
                if iy < 0 || iy >= g.height || ix < 0 || ix >= g.width { continue }
                gradWeight[((co * g.inChannels + ci) * g.kernelHeight + ky) * g.kernelWidth + kx] += go * input[((n * g.inChannels + ci) * g.height + iy) * g.width + ix]
            } } }
        } } } }
    }
}
