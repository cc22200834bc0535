/// Pooling and nearest-neighbour upsampling over `[N, C, H, W]`.
extension Tensor {
    /// Max over each `size x size` window (stride = size): `[N, C, H, W] -> [N, C, H/size, W/size]`.
    /// The gradient goes to the element that was the maximum (the first one on ties, as PyTorch).
    public func maxPool2d(_ size: Int = 2) -> Tensor {
        precondition(rank == 4, "maxPool2d: input must be [N, C, H, W], got \(shape)")
        let (nc, h, w) = (shape[0] * shape[1], shape[2], shape[3])
        let (oh, ow) = (h / size, w / size)
        var argmax = [Int32](repeating: 0, count: nc * oh * ow)
        let px = storage.pointer
        let out = Tensor(shape: [shape[0], shape[1], oh, ow]) { out in
            let po = out.baseAddress!
            argmax.withUnsafeMutableBufferPointer { am in
                let pa = am.baseAddress!
                // Planes are independent: split them over the cores.
                Parallel.forEachChunk(nc, grain: max(1, 32_768 / (h * w))) { planes in
                    for p in planes { for y in 0..<oh { for x in 0..<ow {
                        var where_ = (p * h + y * size) * w + x * size
                        var best = px[where_]
                        for dy in 0..<size { for dx in 0..<size {
                            let i = (p * h + y * size + dy) * w + x * size + dx
                            if px[i] > best { best = px[i]; where_ = i }
                        } }
                        let o = (p * oh + y) * ow + x
                        po[o] = best
                        pa[o] = Int32(where_)
                    } } }
                }
            }
        }
        let inputShape = shape
        return Tensor.record("maxPool2d", inputs: [self], output: out) { g in
            let dx = Tensor.zeros(inputShape)
            let pg = g.storage.pointer, pd = dx.storage.pointer
            for o in 0..<g.count { pd[Int(argmax[o])] += pg[o] }
            return [dx]
        }
    }

    /// Mean over each `size x size` window (stride = size).
    public func avgPool2d(_ size: Int) -> Tensor {
        precondition(rank == 4, "avgPool2d: input must be [N, C, H, W], got \(shape)")
        let (nc, h, w) = (shape[0] * shape[1], shape[2], shape[3])
        let (oh, ow) = (h / size, w / size)
        let scale = 1 / Float(size * size)
        let px = storage.pointer
        let out = Tensor(shape: [shape[0], shape[1], oh, ow]) { out in
            for p in 0..<nc { for y in 0..<oh { for x in 0..<ow {
                var s: Float = 0
                for dy in 0..<size { for dx in 0..<size { s += px[(p * h + y * size + dy) * w + x * size + dx] } }
                out[(p * oh + y) * ow + x] = s * scale
            } } }
        }
        let inputShape = shape
        return Tensor.record("avgPool2d", inputs: [self], output: out) { g in
            let pg = g.storage.pointer
            return [Tensor.zeros(inputShape).withFilled { pd in
                for p in 0..<nc { for y in 0..<oh { for x in 0..<ow {
                    let v = pg[(p * oh + y) * ow + x] * scale
                    for dy in 0..<size { for dx in 0..<size { pd[(p * h + y * size + dy) * w + x * size + dx] = v } }
                } } }
            }]
        }
    }

    /// Nearest-neighbour upsampling by an integer factor: each pixel becomes a `factor x factor` block.
    /// Its gradient sums each block back into its pixel.
    public func upsampleNearest(_ factor: Int = 2) -> Tensor {
        precondition(rank == 4, "upsampleNearest: input must be [N, C, H, W], got \(shape)")
        let (nc, h, w) = (shape[0] * shape[1], shape[2], shape[3])
        let (oh, ow) = (h * factor, w * factor)
        let px = storage.pointer
        // Planes are independent: split them over the cores. Each input row is widened once and the result
        // copied to the other factor - 1 output rows.
        let grain = max(1, 32_768 / (oh * ow))
        let out = Tensor(shape: [shape[0], shape[1], oh, ow]) { out in
            let po = out.baseAddress!
            Parallel.forEachChunk(nc, grain: grain) { planes in
                for p in planes {
                    for y in 0..<h {
                        let src = px + (p * h + y) * w
                        let dst = po + (p * oh + y * factor) * ow
                        for x in 0..<w {
                            let v = src[x]
                            for f in 0..<factor { dst[x * factor + f] = v }
                        }
                        for r in 1..<factor { (dst + r * ow).update(from: dst, count: ow) }
                    }
                }
            }
        }
        let inputShape = shape
        return Tensor.record("upsampleNearest", inputs: [self], output: out) { g in
            // dx[y, x] = sum of g over the factor x factor block that copied x[y, x]
            let pg = g.storage.pointer
            return [Tensor(shape: inputShape) { dx in
                let pd = dx.baseAddress!
                Parallel.forEachChunk(nc, grain: grain) { planes in
                    for p in planes {
                        for y in 0..<h {
                            let dst = pd + (p * h + y) * w
                            let block = pg + (p * oh + y * factor) * ow
                            for x in 0..<w {
                                var sum: Float = 0
                                for r in 0..<factor { for f in 0..<factor { sum += block[r * ow + x * factor + f] } }
                                dst[x] = sum
                            }
                        }
                    }
                }
            }]
        }
    }

    /// Runs `body` on this tensor's (freshly allocated, unshared) storage and returns the tensor.
    func withFilled(_ body: (UnsafeMutablePointer<Float>) -> Void) -> Tensor {
        body(storage.pointer)
        return self
    }
}
