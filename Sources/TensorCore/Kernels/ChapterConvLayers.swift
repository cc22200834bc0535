extension Conv2DGeometry {
    /// The convolution layers of the chapter models (28 x 28 inputs), as (model, geometry) at `batch`: what
    /// `Benchmarks --kernels` times and `ConvKernelTests` checks every pass of against `ConvReference`.
    public static func chapterLayers(batch: Int) -> [(model: String, geometry: Conv2DGeometry)] {
        // (model, cin, cout, size, kernel, stride, padding)
        let layers: [(String, Int, Int, Int, Int, Int, Int)] = [
            ("basic", 1, 32, 28, 5, 1, 2), ("basic", 32, 64, 14, 5, 1, 2), ("basic", 64, 64, 7, 5, 1, 2),
            ("basic", 64, 64, 14, 5, 1, 2), ("basic", 64, 32, 28, 5, 1, 2), ("basic", 32, 1, 28, 5, 1, 2),
            ("unet2d", 1, 32, 28, 3, 1, 1), ("unet2d", 32, 32, 28, 3, 1, 1), ("unet2d", 32, 32, 28, 3, 2, 1),
            ("unet2d", 32, 64, 14, 3, 1, 1), ("unet2d", 64, 64, 14, 3, 1, 1), ("unet2d", 64, 64, 14, 3, 2, 1),
            ("unet2d", 64, 64, 7, 3, 1, 1), ("unet2d", 128, 64, 7, 3, 1, 1), ("unet2d", 128, 64, 14, 3, 1, 1),
            ("unet2d", 96, 64, 14, 3, 1, 1), ("unet2d", 96, 32, 28, 3, 1, 1), ("unet2d", 64, 32, 28, 3, 1, 1),
            ("unet2d", 32, 1, 28, 3, 1, 1), ("unet2d 1x1", 96, 32, 28, 1, 1, 0), ("unet2d 1x1", 128, 64, 14, 1, 1, 0),
            ("basic", 64, 32, 14, 5, 1, 2), ("ddpm", 64, 64, 28, 3, 1, 1),
        ]
        return layers.map { model, cin, cout, size, k, stride, pad in
            (model, Conv2DGeometry(batch: batch, inChannels: cin, outChannels: cout, height: size, width: size,
                                   kernelHeight: k, kernelWidth: k, stride: stride, padding: pad))
        }
    }
}
