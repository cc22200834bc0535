import Foundation

/// Convolution forward and backward passes as matrix products (see Im2Col.swift for the idea).
///
/// For each sample n, with K = Cin*KH*KW and P = OH*OW pixels:
///
///     forward:        out_n[Cout, P] = W[Cout, K] x col_n[K, P]
///     backwardData:   stride 1: a forward convolution of dout with flipped weights (see `backwardData`);
///                     strided: over the taps that reach each input pixel, six samples per tile
///                     (ConvStridedBackwardData.swift), or else dcol_n[K, P] = W^T x dout_n[Cout, P], then col2im
///     backwardWeight: dW^T[K, Cout] += col_n[K, P] x dout_n^T (ConvWeightGradient.swift); skipping the padding
///                     tap by tap where a quarter of the taps hit it (ConvTapWeightGradient.swift), or one
///                     kernel row at a time on larger planes with less of it (ConvRowWeightGradient.swift)
///
/// Which path a layer takes:
/// - 1x1, stride 1, no padding: the input sample already is col_n; plain GEMMs.
/// - one or two channels on the GEMM's row side, stride 1 (the 32 -> 1 output layer, the input gradient of a
///   1 -> 32 layer): direct convolution (ConvDirect.swift); a GEMM would use one row of its 6-row tile.
/// - a tiny K (one input channel, up to 5x5) on rows at least 16 wide, forward: the first layer of a UNet
///   (ConvFewInputs.swift): 16-pixel vectors of output rows, each tile stored once with its bias.
/// - small planes (up to 14x14) with whole vectors of 32 or more channels on the row side, and 32-channel
///   layers with K >= 256: "image direct" (ConvImageDirect.swift): out^T = col^T x W^T with the column matrix
///   read straight from the padded image, nothing packed but the weights. When a core has six or more
///   samples and a tenth of the taps fall on the padding (5x5 on 7x7 or 14x14, 3x3 on 7x7), its tiles are
///   sample-major instead and skip those taps (ConvSampleMajor.swift).
/// - everything else: "implicit im2col" (ConvPacking.swift): the GEMM packs its panels of col_n straight from
///   a zero-padded copy of the input, so the column matrix (over a megabyte per sample for a 64-channel 5x5
///   layer) is never written out.
///
/// Parallelism: the batch is split between the two cores and each core runs single-threaded GEMMs on its own
/// samples with its own scratch buffers (faster than sequential samples with a 2-thread GEMM: the packing
/// and padding copies run in parallel too, and there is no synchronisation per sample). For the weight
/// gradient each core sums into its own partial dW, and the partials are added at the end.
///
/// Small output planes (7x7 = 49 pixels) make thin GEMMs, so a few samples are processed together: their
/// columns are laid side by side into one [K, G*P] product (G = `groupSize`). Only one group is ever padded
/// or materialised per core, never the whole batch.
public enum Conv2DKernels {
    /// output[N,Cout,OH,OW] = conv(input[N,Cin,H,W], weight[Cout,Cin,KH,KW]) + bias[Cout] (bias optional).
    /// Overwrites output.
    public static func forward(_ g: Conv2DGeometry, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                               bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>) {
        g.validate()
        if g.batch == 0 { return }
        let shape = PatchShape(g)
        if g.isPointwise {
            let packedW = GEMM.PackedA(trans: false, a: weight, lda: g.inChannels, m: g.outChannels, k: g.inChannels)
            pointwise(batch: g.batch, m: g.outChannels, k: g.inChannels, plane: g.inPlane, a: packedW, b: input,
                      bias: bias, c: output)
            withExtendedLifetime(packedW) {}
        } else if useFewInputs(shape, m: g.outChannels) {
            // Forward only: without a bias (the input gradient) the implicit-im2col path skips its bias pass
            // and measured as fast (3x3) or 8% faster (5x5, the 32 -> 1 layer's input gradient).
            fewInputsConvolution(shape, batch: g.batch, outChannels: g.outChannels, input: input, weight: weight,
                                 bias: bias, output: output)
        } else {
            implicitConvolution(shape, batch: g.batch, outChannels: g.outChannels, input: input, weight: weight,
                                bias: bias, output: output)
        }
    }

    /// gradInput[N,Cin,H,W] = d/dinput given gradOutput[N,Cout,OH,OW]. Overwrites gradInput.
    ///
    /// For stride 1 the input gradient is itself a convolution: of gradOutput, padded by KH-1-p, with the
    /// weights flipped in space and with Cin/Cout swapped,
    ///     gradInput[ci, y, x] = sum over co, kh, kw of gradOutput[co, y + p - kh, x + p - kw] * W[co, ci, kh, kw],
    /// so it runs on the same implicit-im2col path as the forward pass. Strided convolutions multiply only
    /// the taps that reach each input pixel (ConvStridedBackwardData.swift) when the input channels fill
    /// whole vectors and each core has six samples or more, and otherwise use dcol = W^T x gradOutput
    /// followed by col2im.
    public static func backwardData(_ g: Conv2DGeometry, gradOutput: UnsafePointer<Float>,
                                    weight: UnsafePointer<Float>, gradInput: UnsafeMutablePointer<Float>) {
        g.validate()
        if g.batch == 0 { return }
        let (cin, cout, kh, kw) = (g.inChannels, g.outChannels, g.kernelHeight, g.kernelWidth)
        if g.isPointwise {
            // gradInput_n[Cin, HW] = W^T[Cin, Cout] x gradOutput_n[Cout, HW]
            let packedWT = GEMM.PackedA(trans: true, a: weight, lda: cin, m: cin, k: cout)
            pointwise(batch: g.batch, m: cin, k: cout, plane: g.inPlane, a: packedWT, b: gradOutput, bias: nil,
                      c: gradInput)
            withExtendedLifetime(packedWT) {}
            return
        }
        if g.stride == 1 && g.padding < kh && g.padding < kw {
            // flipped[ci, co, a, b] = W[co, ci, KH-1-a, KW-1-b]: a [Cin, Cout*KH*KW] matrix.
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
            let shape = PatchShape(channels: cout, height: g.outHeight, width: g.outWidth, kernelHeight: kh,
                                   kernelWidth: kw, stride: 1, padH: kh - 1 - g.padding, padW: kw - 1 - g.padding)
            flipped.withUnsafeBufferPointer {
                implicitConvolution(shape, batch: g.batch, outChannels: cin, input: gradOutput, weight: $0.baseAddress!,
                                    bias: nil, output: gradInput)
            }
            return
        }
        if useSampleMajorBackwardData(g) {
            sampleMajorBackwardData(g, gradOutput: gradOutput, weight: weight, gradInput: gradInput)
            return
        }
        stridedBackwardData(g, gradOutput: gradOutput, weight: weight, gradInput: gradInput)
    }

    /// dcol = W^T x gradOutput, then col2im, for convolutions that are not stride 1.
    static func stridedBackwardData(_ g: Conv2DGeometry, gradOutput: UnsafePointer<Float>,
                                    weight: UnsafePointer<Float>, gradInput: UnsafeMutablePointer<Float>) {
        let (cout, kk, p) = (g.outChannels, g.patchSize, g.outPlane)
        let packedWT = GEMM.PackedA(trans: true, a: weight, lda: kk, m: kk, k: cout)
        let ptr = Pointers(a: gradOutput, b: weight, c: nil, out: gradInput)
        let shared = Unchecked(value: packedWT)
        forEachWorker(batch: g.batch) { _, samples in
            let group = groupSize(plane: p, samples: samples.count)
            let ws = GEMM.Workspace(m: kk, k: cout)
            let dcol = Scratch(kk * group * p)
            let wide = group > 1 ? Scratch(cout * group * p) : nil
            for n0 in Swift.stride(from: samples.lowerBound, to: samples.upperBound, by: group) {
                let count = min(group, samples.upperBound - n0)
                let ld = count * p
                // B = gradOutput of the group side by side: [Cout, count * P].
                let b = count == 1 ? ptr.a + n0 * cout * p : gatherPlanes(ptr.a + n0 * cout * p, channels: cout,
                                                                          plane: p, count: count, into: wide!.p)
                GEMM.blocked(rows: 0..<kk, cols: 0..<ld, k: cout, alpha: 1, beta: 0, c: dcol.p, ldc: ld,
                             workspace: ws, packA: { i0, _, p0, kc, _ in shared.value.panels(i0: i0, p0: p0, kc: kc) },
                             packB: { GEMM.packB(trans: false, b: b, ldb: ld, p0: $0, kc: $1, j0: $2, cols: $3, dst: $4) })
                for i in 0..<count {
                    col2im(g, col: dcol.p + i * p, ldCol: ld, gradInput: ptr.out + (n0 + i) * g.inChannels * g.inPlane)
                }
            }
        }
        withExtendedLifetime(packedWT) {}
    }

    /// output[n] = weight x col(input[n]) (+ bias), with the column matrix packed straight from the image.
    /// - input:  [batch, shape.channels, shape.height, shape.width]
    /// - weight: [outChannels, shape.patchSize]
    /// - output: [batch, outChannels, shape.outHeight, shape.outWidth]
    static func implicitConvolution(_ shape: PatchShape, batch: Int, outChannels cout: Int,
                                    input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                    bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>) {
        let (kk, p) = (shape.patchSize, shape.outHeight * shape.outWidth)
        let inSize = shape.channels * shape.height * shape.width
        let ptr = Pointers(a: input, b: weight, c: bias, out: output)
        if useDirect(shape, m: cout) {
            forEachWorker(batch: batch) { _, samples in
                let paddedCount = shape.channels * shape.paddedPlane + PatchShape.slack
                let padded = Scratch(paddedCount)
                padded.p.update(repeating: 0, count: paddedCount)
                for n in samples {
                    shape.pad(ptr.a + n * inSize, count: 1, into: padded.p)
                    directConvolution(shape, m: cout, padded: padded.p, weight: ptr.b, bias: ptr.c,
                                      out: ptr.out + n * cout * p)
                }
            }
            return
        }
        if useImageDirect(shape, m: cout) {
            imageDirectConvolution(shape, batch: batch, outChannels: cout, input: input, weight: weight, bias: bias,
                                   output: output)
            return
        }
        // W[Cout, K] is the A operand of every sample's product: pack it once.
        let packedWeight = GEMM.PackedA(trans: false, a: weight, lda: kk, m: cout, k: kk)
        let shared = Unchecked(value: packedWeight)
        let offsets = shape.rowOffsets()
        offsets.withUnsafeBufferPointer { offsetsBuffer in
            let rowOffsets = Unchecked(value: offsetsBuffer.baseAddress!)
            forEachWorker(batch: batch) { _, samples in
                let group = groupSize(plane: p, samples: samples.count)
                let ws = GEMM.Workspace(m: cout, k: kk)
                let paddedCount = group * shape.channels * shape.paddedPlane + PatchShape.slack
                let padded = Scratch(paddedCount)
                padded.p.update(repeating: 0, count: paddedCount)
                let wide = group > 1 ? Scratch(cout * group * p) : nil
                let packer = ImplicitIm2Col(shape: shape, padded: padded.p, rowOffsets: rowOffsets.value)
                for n0 in Swift.stride(from: samples.lowerBound, to: samples.upperBound, by: group) {
                    let count = min(group, samples.upperBound - n0)
                    let ld = count * p
                    shape.pad(ptr.a + n0 * inSize, count: count, into: padded.p)
                    // One sample writes straight into the output; a group goes through `wide` and is scattered.
                    let c = count == 1 ? ptr.out + n0 * cout * p : wide!.p
                    GEMM.blocked(rows: 0..<cout, cols: 0..<ld, k: kk, alpha: 1, beta: 0, c: c, ldc: ld, workspace: ws,
                                 packA: { i0, _, p0, kc, _ in shared.value.panels(i0: i0, p0: p0, kc: kc) },
                                 packB: { packer.pack(p0: $0, kc: $1, j0: $2, cols: $3, dst: $4) })
                    scatter(c, ld: ld, count: count, channels: cout, plane: p, bias: ptr.c,
                            into: ptr.out + n0 * cout * p)
                }
            }
        }
        withExtendedLifetime(packedWeight) {}
    }

    /// c[n] = A x b[n] (+ bias) for every sample: the 1x1 stride-1 unpadded convolution and its data gradient.
    /// - a: [m, k] packed; b: [batch, k, plane]; c: [batch, m, plane]
    static func pointwise(batch: Int, m: Int, k: Int, plane: Int, a: GEMM.PackedA, b: UnsafePointer<Float>,
                          bias: UnsafePointer<Float>?, c: UnsafeMutablePointer<Float>) {
        let ptr = Pointers(a: b, b: b, c: bias, out: c)
        let shared = Unchecked(value: a)
        forEachWorker(batch: batch) { _, samples in
            let ws = GEMM.Workspace(m: m, k: k)
            for n in samples {
                let bn = ptr.a + n * k * plane, cn = ptr.out + n * m * plane
                GEMM.blocked(rows: 0..<m, cols: 0..<plane, k: k, alpha: 1, beta: 0, c: cn, ldc: plane, workspace: ws,
                             packA: { i0, _, p0, kc, _ in shared.value.panels(i0: i0, p0: p0, kc: kc) },
                             packB: { GEMM.packB(trans: false, b: bn, ldb: plane, p0: $0, kc: $1, j0: $2, cols: $3, dst: $4) })
                scatter(cn, ld: plane, count: 1, channels: m, plane: plane, bias: ptr.c, into: cn)
            }
        }
    }

    /// gradWeight[Cout,Cin,KH,KW] (and gradBias[Cout] if non-nil) OVERWRITTEN with the gradient summed over
    /// the batch.
    public static func backwardWeight(_ g: Conv2DGeometry, input: UnsafePointer<Float>,
                                      gradOutput: UnsafePointer<Float>, gradWeight: UnsafeMutablePointer<Float>,
                                      gradBias: UnsafeMutablePointer<Float>?) {
        g.validate()
        let (cout, kk, p) = (g.outChannels, g.patchSize, g.outPlane)
        let workers = workerCount(batch: g.batch)
        if workers == 0 {
            gradWeight.update(repeating: 0, count: cout * kk)
            gradBias?.update(repeating: 0, count: cout)
            return
        }
        if useDirect(PatchShape(g), m: cout) && !g.isPointwise {
            directWeightGradientBatch(g, input: input, gradOutput: gradOutput, gradWeight: gradWeight, gradBias: gradBias)
            return
        }
        if useTapWeightGradient(g) {
            tapWeightGradient(g, input: input, gradOutput: gradOutput, gradWeight: gradWeight, gradBias: gradBias)
            return
        }
        if useRowWeightGradient(g) {
            rowWeightGradient(g, input: input, gradOutput: gradOutput, gradWeight: gradWeight, gradBias: gradBias)
            return
        }
        if cout >= 16 && !g.isPointwise {
            implicitWeightGradient(g, input: input, gradOutput: gradOutput, gradWeight: gradWeight, gradBias: gradBias)
            return
        }
        // Worker 0 sums straight into gradWeight/gradBias; the others into partial buffers added at the end.
        let partials = (1..<workers).map { _ in Scratch(cout * kk + cout) }
        let sums = Unchecked(value: (weight: [gradWeight] + partials.map(\.p),
                                     bias: [gradBias] + partials.map { gradBias == nil ? nil : $0.p + cout * kk }))
        let ptr = Pointers(a: input, b: gradOutput, c: nil, out: gradWeight)
        forEachWorker(batch: g.batch) { worker, samples in
            let dW = sums.value.weight[worker]
            let dB = sums.value.bias[worker]  // nil when no bias gradient is wanted
            // Pointwise: the input sample itself is B^T, so samples cannot be laid side by side.
            let group = g.isPointwise ? 1 : groupSize(plane: p, samples: samples.count)
            let ws = GEMM.Workspace(m: cout, k: group * p)
            let col = g.isPointwise ? nil : Scratch(kk * group * p)
            let wide = group > 1 ? Scratch(cout * group * p) : nil
            dB?.update(repeating: 0, count: cout)
            var first = true
            for n0 in Swift.stride(from: samples.lowerBound, to: samples.upperBound, by: group) {
                let count = min(group, samples.upperBound - n0)
                let ld = count * p
                // A = gradOutput of the group side by side [Cout, count*P]; B^T = the column matrix [K, count*P].
                let a = count == 1 ? ptr.b + n0 * cout * p : gatherPlanes(ptr.b + n0 * cout * p, channels: cout,
                                                                          plane: p, count: count, into: wide!.p)
                let b: UnsafePointer<Float>
                if let col {
                    for i in 0..<count {
                        im2col(g, input: ptr.a + (n0 + i) * g.inChannels * g.inPlane, col: col.p + i * p, ldCol: ld)
                    }
                    b = UnsafePointer(col.p)
                } else {
                    b = ptr.a + n0 * g.inChannels * g.inPlane
                }
                // dW[Cout, K] (+)= A x B where B is stored transposed: the first group overwrites.
                GEMM.Problem(transA: false, transB: true, m: cout, n: kk, k: ld, alpha: 1, a: a, lda: ld, b: b,
                             ldb: ld, beta: first ? 0 : 1, c: dW, ldc: kk)
                    .compute(rows: 0..<cout, cols: 0..<kk, workspace: ws)
                first = false
                if let dB {
                    for co in 0..<cout { dB[co] += sum(a + co * ld, count: ld) }
                }
            }
        }
        for w in 1..<workers {
            addRow(gradWeight, sums.value.weight[w], count: cout * kk)
            if let gradBias { addRow(gradBias, sums.value.bias[w]!, count: cout) }
        }
        withExtendedLifetime(partials) {}  // the partial buffers must live until they are summed
    }
}

// MARK: - Scheduling and small helpers

extension Conv2DKernels {
    /// The raw pointers of one call, handed to worker threads. Workers read the inputs and write disjoint
    /// samples (or their own partial sums), which makes the `@unchecked Sendable` sound.
    struct Pointers: @unchecked Sendable {
        var a: UnsafePointer<Float>
        var b: UnsafePointer<Float>
        var c: UnsafePointer<Float>?
        var out: UnsafeMutablePointer<Float>
    }

    /// Any value shared read-only (or written in disjoint parts) by the workers of one call.
    struct Unchecked<T>: @unchecked Sendable {
        let value: T
    }

    /// A 64-byte aligned float buffer owned by one worker, freed when it goes out of scope.
    final class Scratch {
        let p: UnsafeMutablePointer<Float>
        init(_ count: Int) {
            p = UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * 4, alignment: 64)
                .bindMemory(to: Float.self, capacity: max(1, count))
        }
        deinit { p.deallocate() }
    }

    static func workerCount(batch: Int) -> Int { min(GEMM.defaultThreads, batch) }

    /// Runs `body(worker, samples)` on each worker (one per core) with its contiguous range of samples.
    /// A batch of one runs on the calling thread.
    static func forEachWorker(batch: Int, _ body: @escaping @Sendable (Int, Range<Int>) -> Void) {
        let workers = workerCount(batch: batch)
        if workers <= 1 {
            if batch > 0 { body(0, 0..<batch) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            body(w, (batch * w / workers)..<(batch * (w + 1) / workers))
        }
    }

    /// Samples per GEMM: enough that the GEMM has >= ~256 columns (a 7x7 plane alone gives only 49).
    static func groupSize(plane: Int, samples: Int) -> Int {
        max(1, min(samples, (256 + plane - 1) / plane))
    }

    /// Copies `count` consecutive [channels, plane] blocks side by side into dst [channels, count * plane].
    static func gatherPlanes(_ src: UnsafePointer<Float>, channels: Int, plane: Int, count: Int,
                             into dst: UnsafeMutablePointer<Float>) -> UnsafePointer<Float> {
        for i in 0..<count {
            for ch in 0..<channels {
                (dst + ch * count * plane + i * plane).update(from: src + (i * channels + ch) * plane, count: plane)
            }
        }
        return UnsafePointer(dst)
    }

    /// The inverse of `gatherPlanes`, adding the bias: out[i, ch, :] = src[ch, i * plane ..< (i+1) * plane] +
    /// bias[ch]. With count == 1, src may be the output itself (then only the bias is added).
    static func scatter(_ src: UnsafePointer<Float>, ld: Int, count: Int, channels: Int, plane: Int,
                        bias: UnsafePointer<Float>?, into out: UnsafeMutablePointer<Float>) {
        if count == 1 && src == UnsafePointer(out) && bias == nil { return }
        for i in 0..<count {
            for ch in 0..<channels {
                let s = src + ch * ld + i * plane, d = out + (i * channels + ch) * plane
                let b = bias?[ch] ?? 0
                for x in 0..<plane { d[x] = s[x] + b }
            }
        }
    }

    /// The sum of the 16 lanes, by halving (SIMD's generic `sum()` is not specialised and ends up a call).
    @inline(__always)
    static func horizontalSum(_ v: GEMM.Vec) -> Float {
        let a = v.lowHalf + v.highHalf
        let b = a.lowHalf + a.highHalf
        let c = b.lowHalf + b.highHalf
        return c[0] + c[1]
    }

    static func sum(_ x: UnsafePointer<Float>, count: Int) -> Float {
        var acc = GEMM.Vec()
        var i = 0
        while i + 16 <= count { acc += GEMM.load(x + i); i += 16 }
        var s = horizontalSum(acc)
        while i < count { s += x[i]; i += 1 }
        return s
    }
}
