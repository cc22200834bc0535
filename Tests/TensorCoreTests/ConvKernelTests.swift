import XCTest
@testable import TensorCore

/// Conv2DKernels against the library's reference convolution (ConvReference.swift: the direct sum and its
/// gradients, summed in Double). Outputs are pre-filled with NaN to check that every element is overwritten.
final class ConvKernelTests: XCTestCase {
    typealias G = Conv2DGeometry

    func random(_ count: Int, seed: UInt64) -> [Float] {
        var s = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<count).map { _ in
            s ^= s << 13; s ^= s >> 7; s ^= s << 17
            return Float(Int(s % 2_000_001) - 1_000_000) / 1_000_000
        }
    }

    func assertClose(_ got: [Float], _ expected: [Double], _ what: String, _ g: G,
                     file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(got.count, expected.count)
        var worst = 0.0
        for (x, e) in zip(got, expected) {
            let err = abs(Double(x) - e) / max(1, abs(e))
            if !(err <= 1e-4) { worst = .infinity; break }  // NaN counts as a failure
            worst = max(worst, err)
        }
        XCTAssertLessThanOrEqual(worst, 1e-4, "\(what) \(g)", file: file, line: line)
    }

    /// The reference's results for `g`, and the inputs they came from.
    struct Case {
        let g: G
        let input, weight, bias, gradOut: [Float]
        let out, gradIn, gradW, gradB: [Double]  // the reference, with bias
        let outNoBias: [Double]

        init(_ g: G, random: (Int, UInt64) -> [Float]) {
            self.g = g
            let (n, ci, co, h, w, kh, kw, oh, ow) = (g.batch, g.inChannels, g.outChannels, g.height, g.width,
                                                     g.kernelHeight, g.kernelWidth, g.outHeight, g.outWidth)
            let seed = UInt64(n * 7 + ci * 131 + co * 1009 + h * 31 + kh * 3 + g.stride * 5 + g.padding)
            let input = random(n * ci * h * w, seed), weight = random(co * ci * kh * kw, seed + 1)
            let bias = random(co, seed + 2), gradOut = random(n * co * oh * ow, seed + 3)
            (self.input, self.weight, self.bias, self.gradOut) = (input, weight, bias, gradOut)
            let withBias = ConvReference.forward(g, input: input, weight: weight, bias: bias).map(Double.init)
            out = withBias
            // The bias is added last, per output channel: the unbiased output without a second reference run.
            let plane = oh * ow
            outNoBias = withBias.enumerated().map { i, v in v - Double(bias[i / plane % co]) }
            gradIn = ConvReference.backwardData(g, gradOutput: gradOut, weight: weight).map(Double.init)
            let (rw, rb) = ConvReference.backwardWeight(g, input: input, gradOutput: gradOut)
            (gradW, gradB) = (rw.map(Double.init), rb.map(Double.init))
        }
    }

    /// One pass of `c.g` by `path` (nil: the plan's choice) against the reference.
    func check(_ c: Case, _ pass: ConvPass, path: ConvPath? = nil, withBias: Bool = true,
               file: StaticString = #filePath, line: UInt = #line) {
        let g = c.g
        let what = "\(pass.rawValue) by \(path?.rawValue ?? "the plan (\(ConvPath.choose(for: g, pass).rawValue))")"
        c.input.withUnsafeBufferPointer { pin in
            c.weight.withUnsafeBufferPointer { pw in
                c.bias.withUnsafeBufferPointer { pb in
                    c.gradOut.withUnsafeBufferPointer { pgo in
                        switch pass {
                        case .forward:
                            var out = [Float](repeating: .nan, count: c.out.count)
                            out.withUnsafeMutableBufferPointer { po in
                                Conv2DKernels.forward(g, input: pin.baseAddress!, weight: pw.baseAddress!,
                                                      bias: withBias ? pb.baseAddress! : nil, output: po.baseAddress!,
                                                      path: path)
                            }
                            assertClose(out, withBias ? c.out : c.outNoBias, what, g, file: file, line: line)
                        case .inputGradient:
                            var gradIn = [Float](repeating: .nan, count: c.input.count)
                            gradIn.withUnsafeMutableBufferPointer { pgi in
                                Conv2DKernels.backwardData(g, gradOutput: pgo.baseAddress!, weight: pw.baseAddress!,
                                                           gradInput: pgi.baseAddress!, path: path)
                            }
                            assertClose(gradIn, c.gradIn, what, g, file: file, line: line)
                        case .weightGradient:
                            var gradW = [Float](repeating: .nan, count: c.weight.count)
                            var gradB = [Float](repeating: .nan, count: g.outChannels)
                            gradW.withUnsafeMutableBufferPointer { pgw in
                                gradB.withUnsafeMutableBufferPointer { pgb in
                                    Conv2DKernels.backwardWeight(g, input: pin.baseAddress!, gradOutput: pgo.baseAddress!,
                                                                 gradWeight: pgw.baseAddress!,
                                                                 gradBias: withBias ? pgb.baseAddress! : nil, path: path)
                                }
                            }
                            assertClose(gradW, c.gradW, what, g, file: file, line: line)
                            if withBias {
                                assertClose(gradB, c.gradB, what + " (bias)", g, file: file, line: line)
                            } else {
                                XCTAssertTrue(gradB.allSatisfy { $0.isNaN }, "gradBias must not be touched when nil",
                                              file: file, line: line)
                            }
                        }
                    }
                }
            }
        }
    }

    /// All three passes of `g` against the reference: by the plan's paths, and by every other path that applies.
    func check(_ g: G, withBias: Bool = true, file: StaticString = #filePath, line: UInt = #line) {
        let c = Case(g, random: random)
        for pass in ConvPass.allCases {
            check(c, pass, withBias: withBias, file: file, line: line)
            for path in ConvPath.applicable(to: g, pass) where path != ConvPath.choose(for: g, pass) {
                check(c, pass, path: path, withBias: withBias, file: file, line: line)
            }
        }
    }

    /// The reference's two forms agree: the direct sum and im2col x matrix product.
    func testReferenceDirectSumEqualsMatrixProduct() {
        for g in [G(batch: 2, inChannels: 3, outChannels: 4, height: 7, width: 6, kernelHeight: 3, kernelWidth: 2, stride: 2, padding: 1),
                  G(batch: 1, inChannels: 2, outChannels: 3, height: 5, width: 5, kernelHeight: 5, kernelWidth: 5, stride: 1, padding: 2)] {
            let input = random(g.batch * g.inChannels * g.height * g.width, seed: 1)
            let weight = random(g.outChannels * g.inChannels * g.kernelHeight * g.kernelWidth, seed: 2), bias = random(g.outChannels, seed: 3)
            let direct = ConvReference.forward(g, input: input, weight: weight, bias: bias)
            let product = ConvReference.forwardAsMatrixProduct(g, input: input, weight: weight, bias: bias)
            assertClose(product, direct.map(Double.init), "im2col x GEMM", g)
        }
        // A hand-checked value: a 3x3 kernel of ones over a 3x3 image of 1...9, padding 1: the centre sums all nine.
        let g = G(batch: 1, inChannels: 1, outChannels: 1, height: 3, width: 3, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1)
        let out = ConvReference.forward(g, input: (1...9).map(Float.init), weight: [Float](repeating: 1, count: 9), bias: nil)
        XCTAssertEqual(out, [12, 21, 16, 27, 45, 33, 24, 39, 28])
    }

    /// Every path that applies, on every convolution layer shape of the chapter models, all three passes,
    /// against the reference; and the plan's own choice, which must be one of them. Batch 1, so the run is
    /// the same whatever the core count (the paths that depend on the batch, such as sample groups and
    /// per-core partial sums, have their own cases below). Paths that cannot compute a pass of a shape are
    /// skipped (`ConvPath.applies`: for example the tap weight gradient of a strided layer, or the image
    /// direct path for 1 output channel); at least two paths apply to every pass of every layer.
    func testEveryPathOnEveryChapterLayer() {
        var runs = 0
        for (_, g) in G.chapterLayers(batch: 1) {
            let c = Case(g, random: random)
            for pass in ConvPass.allCases {
                let paths = ConvPath.applicable(to: g, pass)
                XCTAssertGreaterThanOrEqual(paths.count, 2, "\(g.label) \(pass.rawValue): \(paths)")
                XCTAssertTrue(paths.contains(ConvPath.choose(for: g, pass)), "\(g.label) \(pass.rawValue)")
                for path in paths { check(c, pass, path: path) }
                runs += paths.count
            }
            // Without a bias too, on the path the plan picks.
            check(c, .forward, withBias: false)
            check(c, .weightGradient, withBias: false)
        }
        // Every path ran on some layer.
        for path in ConvPath.allCases {
            XCTAssertTrue(G.chapterLayers(batch: 1).contains { _, g in ConvPass.allCases.contains { path.applies(to: g, $0) } },
                          "\(path.rawValue) applies to no chapter layer")
        }
        XCTAssertGreaterThan(runs, 0)
    }

    func testStride1Padded() {
        check(G(batch: 2, inChannels: 3, outChannels: 4, height: 7, width: 6, kernelHeight: 3, kernelWidth: 3, padding: 1))
        check(G(batch: 3, inChannels: 2, outChannels: 5, height: 9, width: 9, kernelHeight: 5, kernelWidth: 5, padding: 2))
        check(G(batch: 1, inChannels: 1, outChannels: 1, height: 5, width: 4, kernelHeight: 3, kernelWidth: 3, padding: 1))
    }

    func testUnpaddedAndGrouped() {
        // 5x5 output planes: several samples share one GEMM (grouping), odd batch splits unevenly.
        check(G(batch: 5, inChannels: 2, outChannels: 3, height: 7, width: 7, kernelHeight: 3, kernelWidth: 3))
        check(G(batch: 3, inChannels: 3, outChannels: 7, height: 8, width: 6, kernelHeight: 5, kernelWidth: 5), withBias: false)
    }

    func testStride2() {
        check(G(batch: 2, inChannels: 3, outChannels: 2, height: 8, width: 7, kernelHeight: 3, kernelWidth: 3, stride: 2, padding: 1))
        check(G(batch: 3, inChannels: 2, outChannels: 3, height: 9, width: 10, kernelHeight: 5, kernelWidth: 5, stride: 2, padding: 2))
        check(G(batch: 2, inChannels: 2, outChannels: 3, height: 6, width: 6, kernelHeight: 3, kernelWidth: 3, stride: 2))
    }

    /// A batch of 0 is a valid geometry: every path returns without touching the (empty) activations, and the
    /// weight gradient is zero.
    func testEmptyBatch() {
        let shapes = [
            G(batch: 0, inChannels: 32, outChannels: 32, height: 7, width: 7, kernelHeight: 3, kernelWidth: 3, padding: 1),
            G(batch: 0, inChannels: 32, outChannels: 8, height: 8, width: 8, kernelHeight: 3, kernelWidth: 3,
              stride: 2, padding: 1),
            G(batch: 0, inChannels: 1, outChannels: 32, height: 28, width: 28, kernelHeight: 3, kernelWidth: 3, padding: 1),
            G(batch: 0, inChannels: 16, outChannels: 32, height: 14, width: 14, kernelHeight: 5, kernelWidth: 5, padding: 2),
        ]
        for g in shapes {
            let weight = random(g.outChannels * g.patchSize, seed: 1), bias = random(g.outChannels, seed: 2)
            var activations = [Float](repeating: .nan, count: 16)  // never read or written
            var gradW = [Float](repeating: .nan, count: weight.count), gradB = [Float](repeating: .nan, count: g.outChannels)
            activations.withUnsafeMutableBufferPointer { a in
                let p = a.baseAddress!
                Conv2DKernels.forward(g, input: p, weight: weight, bias: bias, output: p)
                Conv2DKernels.backwardData(g, gradOutput: p, weight: weight, gradInput: p)
                Conv2DKernels.backwardWeight(g, input: p, gradOutput: p, gradWeight: &gradW, gradBias: &gradB)
            }
            XCTAssertTrue(activations.allSatisfy { $0.isNaN }, "\(g): nothing written")
            XCTAssertEqual(gradW, [Float](repeating: 0, count: weight.count), "\(g)")
            XCTAssertEqual(gradB, [Float](repeating: 0, count: g.outChannels), "\(g)")
        }
    }

    func testPointwiseAndRectangular() {
        check(G(batch: 3, inChannels: 4, outChannels: 3, height: 5, width: 5, kernelHeight: 1, kernelWidth: 1))
        check(G(batch: 2, inChannels: 3, outChannels: 2, height: 4, width: 5, kernelHeight: 1, kernelWidth: 1, stride: 2))
        check(G(batch: 1, inChannels: 2, outChannels: 3, height: 6, width: 5, kernelHeight: 3, kernelWidth: 2, stride: 2))
        check(G(batch: 2, inChannels: 2, outChannels: 3, height: 5, width: 7, kernelHeight: 1, kernelWidth: 3, padding: 1))
        check(G(batch: 3, inChannels: 3, outChannels: 2, height: 6, width: 7, kernelHeight: 3, kernelWidth: 2, padding: 1))
    }

    /// Channel counts large enough for full 6x64 GEMM tiles and several k-blocks.
    func testWiderLayer() {
        check(G(batch: 2, inChannels: 48, outChannels: 13, height: 6, width: 6, kernelHeight: 3, kernelWidth: 3, padding: 1))
        check(G(batch: 2, inChannels: 5, outChannels: 70, height: 9, width: 9, kernelHeight: 3, kernelWidth: 3, padding: 1))
        // >= 16 output channels take the implicit weight-gradient path: strided, rectangular, grouped.
        check(G(batch: 3, inChannels: 3, outChannels: 17, height: 9, width: 8, kernelHeight: 3, kernelWidth: 3, stride: 2, padding: 1))
        check(G(batch: 5, inChannels: 2, outChannels: 20, height: 7, width: 6, kernelHeight: 5, kernelWidth: 3))
        check(G(batch: 2, inChannels: 2, outChannels: 16, height: 11, width: 11, kernelHeight: 5, kernelWidth: 5, stride: 3, padding: 2))
    }

    /// Small planes with whole vectors of channels take the image-direct path (ConvImageDirect.swift) for the
    /// forward pass, and for the input gradient when the input channels qualify: several samples per group,
    /// two 64-channel blocks (the second partial), K past one k-block, stride 2, a rectangular kernel.
    func testImageDirectPath() {
        check(G(batch: 5, inChannels: 32, outChannels: 48, height: 7, width: 7, kernelHeight: 3, kernelWidth: 3, padding: 1))
        check(G(batch: 3, inChannels: 48, outChannels: 80, height: 6, width: 5, kernelHeight: 3, kernelWidth: 3, padding: 1),
              withBias: false)
        check(G(batch: 2, inChannels: 32, outChannels: 32, height: 8, width: 8, kernelHeight: 5, kernelWidth: 5, padding: 2))
        check(G(batch: 3, inChannels: 16, outChannels: 64, height: 9, width: 9, kernelHeight: 3, kernelWidth: 3, stride: 2, padding: 1))
        check(G(batch: 2, inChannels: 32, outChannels: 32, height: 5, width: 7, kernelHeight: 3, kernelWidth: 1, padding: 1))
        // Six or more samples per core on a plane with much padding: sample-major tiles over the valid taps
        // only (ConvSampleMajor.swift), the leftover sample pixel-major; a rectangular kernel; an output pixel
        // that sees nothing but padding (bias only).
        check(G(batch: 13, inChannels: 16, outChannels: 32, height: 7, width: 7, kernelHeight: 5, kernelWidth: 5, padding: 2))
        check(G(batch: 12, inChannels: 32, outChannels: 48, height: 6, width: 5, kernelHeight: 5, kernelWidth: 3, padding: 2),
              withBias: false)
        check(G(batch: 12, inChannels: 16, outChannels: 32, height: 5, width: 5, kernelHeight: 3, kernelWidth: 3, padding: 3))
        // A plane larger than 14x14 takes the path only with 32 channels and K >= 256.
        check(G(batch: 2, inChannels: 32, outChannels: 32, height: 15, width: 15, kernelHeight: 3, kernelWidth: 3, padding: 1))
    }

    /// The tiny-K forward (ConvFewInputs.swift): rows covered by overlapping vectors (21 wide: x = 0 and 5;
    /// 33 wide: 0, 16 and 17), a part-filled last tile of vectors, output channels not a multiple of 6,
    /// three input channels (K = 27), no bias.
    func testFewInputChannelsPath() {
        let shapes = [
            G(batch: 3, inChannels: 1, outChannels: 20, height: 17, width: 21, kernelHeight: 3, kernelWidth: 3, padding: 1),
            G(batch: 2, inChannels: 3, outChannels: 8, height: 16, width: 18, kernelHeight: 3, kernelWidth: 3, padding: 1),
            G(batch: 2, inChannels: 1, outChannels: 32, height: 9, width: 33, kernelHeight: 5, kernelWidth: 5, padding: 2),
        ]
        for g in shapes {
            XCTAssertEqual(ConvPath.rule(for: g, .forward), .fewInputs, "\(g)")
            check(g)
        }
        check(shapes[1], withBias: false)
    }

    /// The strided input gradient over existing taps only (ConvStridedBackwardData.swift): input channels in
    /// a 64 block and a 16 block, a worker with a group of six samples and a short group of one, odd and
    /// rectangular planes, stride 3 with a kernel wider than the stride, input pixels no tap reaches.
    func testStridedSampleMajorBackwardDataPath() {
        let shapes = [
            G(batch: 14, inChannels: 80, outChannels: 24, height: 9, width: 11, kernelHeight: 3, kernelWidth: 3,
              stride: 2, padding: 1),
            G(batch: 12, inChannels: 32, outChannels: 16, height: 10, width: 8, kernelHeight: 4, kernelWidth: 5,
              stride: 3, padding: 1),
            G(batch: 12, inChannels: 32, outChannels: 8, height: 9, width: 9, kernelHeight: 2, kernelWidth: 2,
              stride: 3, padding: 0),
        ]
        for g in shapes {
            XCTAssertEqual(ConvPath.rule(for: g, .inputGradient), .stridedInputGradient, "\(g)")
            check(g)
        }
    }

    /// The kernel-row weight gradient (ConvRowWeightGradient.swift): a kernel row of 7 channels x 5 taps = 35
    /// K entries (the last tile 5 rows), output channels in a 64 block and a 16 block, 20 in a part-filled
    /// block, a worker with a group of six samples and a group of one, a rectangular plane and kernel.
    func testKernelRowWeightGradientPath() {
        let shapes = [
            G(batch: 14, inChannels: 7, outChannels: 80, height: 12, width: 10, kernelHeight: 5, kernelWidth: 5, padding: 2),
            G(batch: 3, inChannels: 12, outChannels: 20, height: 11, width: 13, kernelHeight: 5, kernelWidth: 3, padding: 2),
        ]
        for g in shapes {
            XCTAssertEqual(ConvPath.rule(for: g, .weightGradient), .rowWeightGradient, "\(g)")
            check(g)
        }
        check(shapes[1], withBias: false)
    }
}
