import Foundation
import TensorCore

/// Micro-benchmarks of the CPU kernels: GEMM throughput on the shapes the models produce, and convolution
/// forward + backward (data and weight) throughput per layer shape at batch 128. Every number is the best of
/// several runs, since a 2-core machine is easily disturbed by other work.
enum KernelBenchmarks {
    /// All kernel benchmarks whose name contains `only` (all of them when it is empty).
    static func run(only: String = "") -> [(name: String, value: Double, unit: String)] {
        gemm(only: only) + conv(only: only) + elementwise(only: only)
    }

    /// Memory-bound elementwise ops at the sizes of a sampling batch: GB/s moved (inputs read + output
    /// written), the number to compare with the machine's memory and cache bandwidth.
    static func elementwise(only: String = "") -> [(name: String, value: Double, unit: String)] {
        var rng = SeededGenerator(seed: 3)
        let x = Tensor.randomNormal([100, 32, 28, 28], using: &rng), y = Tensor.randomNormal([100, 32, 28, 28], using: &rng)
        let perChannel = Tensor.randomNormal([100, 32, 1, 1], using: &rng)
        let cases: [(String, Int, () -> Tensor)] = [
            ("add [100,32,28,28] + same", 3, { x + y }),
            ("add [100,32,28,28] + [100,32,1,1]", 2, { x + perChannel }),
            ("mul [100,32,28,28] * same", 3, { x * y }),
            ("silu [100,32,28,28]", 2, { x.silu() }),
        ]
        var results: [(name: String, value: Double, unit: String)] = []
        for (label, tensors, body) in cases {
            let name = "elementwise \(label)"
            if !only.isEmpty && !name.contains(only) { continue }
            let bytes = Double(tensors * x.count * 4)
            let seconds = withoutGrad { bestTime(work: bytes * 20) { _ = body() } }
            results.append((name, bytes / seconds * 1e-9, "GB/s"))
        }
        return results
    }

    /// One GEMM row: C[M, N] = op(A)[M, K] op(B)[K, N] as a model produces it.
    struct GEMMShape {
        let label: String, transA: Bool, transB: Bool, m: Int, k: Int, n: Int
        var name: String { "gemm \(label) \(m)x\(k)x\(n)" }
    }

    /// Conv-shaped products, their backward (transposed) variants and large squares. Shapes are written M x K x N.
    static let gemmShapes: [GEMMShape] = [
        GEMMShape(label: "conv fwd", transA: false, transB: false, m: 128, k: 1152, n: 6272),
        GEMMShape(label: "conv 64->64 5x5 @28", transA: false, transB: false, m: 64, k: 1600, n: 784),
        GEMMShape(label: "conv 64->32 3x3 @28", transA: false, transB: false, m: 32, k: 576, n: 784),
        GEMMShape(label: "conv 64->64 3x3 @14", transA: false, transB: false, m: 64, k: 576, n: 196),
        GEMMShape(label: "weight grad A x B^T", transA: false, transB: true, m: 64, k: 784, n: 1600),
        GEMMShape(label: "weight grad A x B^T", transA: false, transB: true, m: 128, k: 6272, n: 1152),
        GEMMShape(label: "data grad A^T x B", transA: true, transB: false, m: 1600, k: 64, n: 784),
        GEMMShape(label: "data grad A^T x B", transA: true, transB: false, m: 1152, k: 128, n: 6272),
        GEMMShape(label: "square", transA: false, transB: false, m: 1024, k: 1024, n: 1024),
        GEMMShape(label: "square A^T x B^T", transA: true, transB: true, m: 1024, k: 1024, n: 1024),
        GEMMShape(label: "square", transA: false, transB: false, m: 2048, k: 2048, n: 2048),
        GEMMShape(label: "square", transA: false, transB: false, m: 4096, k: 4096, n: 4096),
        GEMMShape(label: "attention-size (1 thread)", transA: false, transB: true, m: 49, k: 8, n: 49),
        GEMMShape(label: "linear 128x32 x 32x128", transA: false, transB: false, m: 128, k: 32, n: 128),
    ]

    /// The names of the GEMM rows whose name contains `only`, without timing anything (`--kernels --list`).
    static func gemmNames(only: String = "") -> [String] {
        gemmShapes.map(\.name).filter { only.isEmpty || $0.contains(only) }
    }

    /// GFLOPS of `GEMM.sgemm` (2 threads) on `gemmShapes`.
    static func gemm(only: String = "") -> [(name: String, value: Double, unit: String)] {
        var results: [(name: String, value: Double, unit: String)] = []
        for s in gemmShapes {
            if !only.isEmpty && !s.name.contains(only) { continue }
            let (ta, tb, m, k, n) = (s.transA, s.transB, s.m, s.k, s.n)
            let a = filled(m * k, seed: 1), b = filled(k * n, seed: 2), c = filled(m * n, seed: 3)
            defer { a.deallocate(); b.deallocate(); c.deallocate() }
            let flops = 2.0 * Double(m) * Double(n) * Double(k)
            let seconds = bestTime(work: flops) {
                GEMM.sgemm(transA: ta, transB: tb, m: m, n: n, k: k, alpha: 1, a: a, lda: ta ? m : k,
                           b: b, ldb: tb ? k : n, beta: 0, c: c, ldc: n)
            }
            results.append((s.name, flops / seconds * 1e-9, "GFLOPS"))
        }
        return results
    }

    /// Convolution layers of the chapter models (MNIST 28x28, batch 128): images per second for forward +
    /// backwardData + backwardWeight (with bias), the same as GFLOPS, then each pass alone in img/s
    /// (scripts/conv_torch_ref.py prints the same rows for PyTorch).
    static func conv(batch: Int = 128, only: String = "") -> [(name: String, value: Double, unit: String)] {
        var results: [(name: String, value: Double, unit: String)] = []
        for (label, g) in Conv2DGeometry.chapterLayers(batch: batch) {
            let (cin, cout, size, ks) = (g.inChannels, g.outChannels, g.height, g.kernelHeight)
            let layer = "conv \(label) \(cin)->\(cout) \(ks)x\(ks)\(g.stride > 1 ? " s\(g.stride)" : "") @\(size)"
            if !only.isEmpty && !layer.contains(only) { continue }
            let inCount = batch * cin * size * size, outCount = batch * cout * g.outHeight * g.outWidth
            let wCount = cout * cin * ks * ks
            let x = filled(inCount, seed: 4), w = filled(wCount, seed: 5), bias = filled(cout, seed: 6)
            let y = filled(outCount, seed: 7), dy = filled(outCount, seed: 8), dx = filled(inCount, seed: 9)
            let dw = filled(wCount, seed: 10), db = filled(cout, seed: 11)
            defer { for p in [x, w, bias, y, dy, dx, dw, db] { p.deallocate() } }
            // Each of the three passes is one GEMM-sized amount of work: 2 * Cout * K * P per sample.
            let passFlops = 2.0 * Double(batch * cout * cin * ks * ks * g.outHeight * g.outWidth)
            let forward = { Conv2DKernels.forward(g, input: x, weight: w, bias: bias, output: y) }
            let data = { Conv2DKernels.backwardData(g, gradOutput: dy, weight: w, gradInput: dx) }
            let weight = { Conv2DKernels.backwardWeight(g, input: x, gradOutput: dy, gradWeight: dw, gradBias: db) }
            let seconds = bestTime(work: 3 * passFlops) { forward(); data(); weight() }
            results.append(("\(layer) fwd+bwd", Double(batch) / seconds, "img/s"))
            results.append(("\(layer) fwd+bwd", 3 * passFlops / seconds * 1e-9, "GFLOPS"))
            for (pass, body) in [("fwd", forward), ("bwd-data", data), ("bwd-weight", weight)] {
                results.append(("\(layer) \(pass)", Double(batch) / bestTime(work: passFlops, body), "img/s"))
            }
        }
        return results
    }

    /// Each pass of each chapter layer (batch 128) by each of `paths` that can compute it, beside the path the
    /// plan picks (ConvPlan.swift), in img/s: what the plan's rules were measured with. Rows are named
    /// "conv MODEL LAYER PASS PATH", the plan's own "(plan)"; `only` selects layers as in `conv`.
    static func convPaths(_ paths: [ConvPath], batch: Int = 128, only: String = "") -> [(name: String, value: Double, unit: String)] {
        var results: [(name: String, value: Double, unit: String)] = []
        for (label, g) in Conv2DGeometry.chapterLayers(batch: batch) {
            let layer = "conv \(label) \(g.label)"
            if !only.isEmpty && !layer.contains(only) { continue }
            let (inCount, outCount, wCount) = (batch * g.inChannels * g.height * g.width,
                                               batch * g.outChannels * g.outHeight * g.outWidth,
                                               g.outChannels * g.inChannels * g.kernelHeight * g.kernelWidth)
            let x = filled(inCount, seed: 4), w = filled(wCount, seed: 5), bias = filled(g.outChannels, seed: 6)
            let y = filled(outCount, seed: 7), dy = filled(outCount, seed: 8), dx = filled(inCount, seed: 9)
            let dw = filled(wCount, seed: 10), db = filled(g.outChannels, seed: 11)
            defer { for p in [x, w, bias, y, dy, dx, dw, db] { p.deallocate() } }
            let passFlops = 2.0 * Double(batch * g.outChannels * g.inChannels * g.kernelHeight * g.kernelWidth
                                         * g.outHeight * g.outWidth)
            for (pass, name) in [(ConvPass.forward, "fwd"), (.inputGradient, "bwd-data"), (.weightGradient, "bwd-weight")] {
                let plan = ConvPath.choose(for: g, pass)
                let timed = [plan] + paths.filter { $0 != plan && $0.applies(to: g, pass) }
                if timed.count == 1 && !paths.contains(plan) { continue }  // the asked-for path does not apply
                for path in timed {
                    let body: () -> Void
                    switch pass {
                    case .forward: body = { Conv2DKernels.forward(g, input: x, weight: w, bias: bias, output: y, path: path) }
                    case .inputGradient: body = { Conv2DKernels.backwardData(g, gradOutput: dy, weight: w, gradInput: dx, path: path) }
                    case .weightGradient:
                        body = { Conv2DKernels.backwardWeight(g, input: x, gradOutput: dy, gradWeight: dw, gradBias: db, path: path) }
                    }
                    let tag = path == plan ? "\(path.rawValue) (plan)" : path.rawValue
                    results.append(("\(layer) \(name) \(tag)", Double(batch) / bestTime(work: passFlops, body), "img/s"))
                }
            }
        }
        return results
    }

    /// Best time of one call of `body`. Runs are kept short (~2 ms of work) and repeated for about a second
    /// (at most 50 runs): on a shared 2-core machine the minimum of many short runs is the number that best
    /// reflects an undisturbed machine.
    static func bestTime(work: Double, _ body: () -> Void) -> Double {
        let clock = { Double(DispatchTime.now().uptimeNanoseconds) * 1e-9 }
        body()  // warm-up: page in buffers, start the worker thread
        let inner = max(1, min(1000, Int(4e8 / max(work, 1))))  // ~2 ms at ~200 GFLOPS
        var best = Double.infinity
        let start = clock()
        var runs = 0
        while runs < 50 && (runs < 5 || clock() - start < 1.0) {
            let t0 = clock()
            for _ in 0..<inner { body() }
            best = min(best, (clock() - t0) / Double(inner))
            runs += 1
        }
        return best
    }

    /// A buffer of small deterministic values in [-1, 1).
    static func filled(_ count: Int, seed: Int) -> UnsafeMutablePointer<Float> {
        let p = UnsafeMutablePointer<Float>.allocate(capacity: max(1, count))
        var s = UInt32(truncatingIfNeeded: seed &* 2_654_435_761 | 1)
        for i in 0..<count {
            s = s &* 1_664_525 &+ 1_013_904_223
            p[i] = Float(s >> 8) / Float(1 << 23) - 1
        }
        return p
    }
}
