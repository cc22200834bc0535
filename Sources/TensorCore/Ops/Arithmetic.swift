/// Elementwise arithmetic with broadcasting: add, sub, mul, div, and their scalar forms.
///
/// Broadcasting follows NumPy: `[N, C, H, W] + [C, 1, 1]` adds a per-channel bias, `[N, C, H, W] * [N, 1, 1, 1]`
/// scales each sample. The gradient of a broadcast input is the output gradient summed back to its shape.

/// Applies `f` elementwise with broadcasting. Not recorded; the ops below add their gradient rules.
/// Large tensors are split over the cores (each element is computed once, so the split changes nothing).
@inline(__always)
func broadcastBinary(_ a: Tensor, _ b: Tensor, _ f: (Float, Float) -> Float) -> Tensor {
    let pa = a.storage.pointer, pb = b.storage.pointer
    if a.shape == b.shape {
        return Tensor(shape: a.shape) { out in
            let po = out.baseAddress!
            Parallel.forEachChunk(out.count) { range in
                for i in range { po[i] = f(pa[i], pb[i]) }
            }
        }
    }
    let shape = broadcastShape(a.shape, b.shape)
    let loop = StridedLoop(shape: shape, strides: [rowMajorStrides(shape), broadcastStrides(a.shape, to: shape), broadcastStrides(b.shape, to: shape)])
    return Tensor(shape: shape) { out in
        let po = out.baseAddress!
        loop.forEachRunInParallel { oo, oa, ob, n, so, sa, sb in
            if sa == 1 && sb == 1 {
                for j in 0..<n { po[oo + j] = f(pa[oa + j], pb[ob + j]) }
            } else if sa == 1 && sb == 0 {
                let y = pb[ob]
                for j in 0..<n { po[oo + j] = f(pa[oa + j], y) }
            } else if sa == 0 && sb == 1 {
                let x = pa[oa]
                for j in 0..<n { po[oo + j] = f(x, pb[ob + j]) }
            } else {
                for j in 0..<n { po[oo + j * so] = f(pa[oa + j * sa], pb[ob + j * sb]) }
            }
        }
    }
}

/// +, -, * and / on one lane and on 16 lanes: the broadcasting loops of the arithmetic ops run on whole
/// vectors (IEEE arithmetic is lane-wise, so the results are bit-identical to the scalar loop's).
protocol ArithmeticOp {
    static func scalar(_ a: Float, _ b: Float) -> Float
    static func vector(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float>
}
enum AddOp: ArithmeticOp {
    @inline(__always) static func scalar(_ a: Float, _ b: Float) -> Float { a + b }
    @inline(__always) static func vector(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> { a + b }
}
enum SubOp: ArithmeticOp {
    @inline(__always) static func scalar(_ a: Float, _ b: Float) -> Float { a - b }
    @inline(__always) static func vector(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> { a - b }
}
enum MulOp: ArithmeticOp {
    @inline(__always) static func scalar(_ a: Float, _ b: Float) -> Float { a * b }
    @inline(__always) static func vector(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> { a * b }
}
enum DivOp: ArithmeticOp {
    @inline(__always) static func scalar(_ a: Float, _ b: Float) -> Float { a / b }
    @inline(__always) static func vector(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> { a / b }
}

/// `broadcastBinary` for the four arithmetic ops, on 16 lanes at a time: same shapes, and runs where one
/// side is contiguous and the other contiguous or repeated (a per-channel or per-sample operand).
@inline(__always)
func broadcastBinary<Op: ArithmeticOp>(_ a: Tensor, _ b: Tensor, _ op: Op.Type) -> Tensor {
    if a.shape == b.shape { return vectorMap(a, b, Op.vector) }
    let pa = a.storage.pointer, pb = b.storage.pointer
    let shape = broadcastShape(a.shape, b.shape)
    let loop = StridedLoop(shape: shape, strides: [rowMajorStrides(shape), broadcastStrides(a.shape, to: shape), broadcastStrides(b.shape, to: shape)])
    return Tensor(shape: shape) { out in
        let po = out.baseAddress!
        loop.forEachRunInParallel { oo, oa, ob, n, so, sa, sb in
            let full = n / 16 * 16
            if sa == 1 && sb == 1 {
                for j in stride(from: 0, to: full, by: 16) {
                    VectorMath.store(Op.vector(VectorMath.load(pa + oa + j), VectorMath.load(pb + ob + j)), po + oo + j)
                }
                for j in full..<n { po[oo + j] = Op.scalar(pa[oa + j], pb[ob + j]) }
            } else if sa == 1 && sb == 0 {
                let y = pb[ob], yv = SIMD16<Float>(repeating: y)
                for j in stride(from: 0, to: full, by: 16) {
                    VectorMath.store(Op.vector(VectorMath.load(pa + oa + j), yv), po + oo + j)
                }
                for j in full..<n { po[oo + j] = Op.scalar(pa[oa + j], y) }
            } else if sa == 0 && sb == 1 {
                let x = pa[oa], xv = SIMD16<Float>(repeating: x)
                for j in stride(from: 0, to: full, by: 16) {
                    VectorMath.store(Op.vector(xv, VectorMath.load(pb + ob + j)), po + oo + j)
                }
                for j in full..<n { po[oo + j] = Op.scalar(x, pb[ob + j]) }
            } else {
                for j in 0..<n { po[oo + j * so] = Op.scalar(pa[oa + j * sa], pb[ob + j * sb]) }
            }
        }
    }
}

/// Applies `f` to every element, split over the cores for large tensors. Not recorded.
@inline(__always)
func unaryMap(_ x: Tensor, _ f: (Float) -> Float) -> Tensor {
    let px = x.storage.pointer
    return Tensor(shape: x.shape) { out in
        let po = out.baseAddress!
        Parallel.forEachChunk(out.count) { range in
            for i in range { po[i] = f(px[i]) }
        }
    }
}

/// `unaryMap` for a function written on 16 lanes (`VectorMath`): exact same values whatever the split, since
/// every element goes through the same vector code (the tail is padded to a full vector).
@inline(__always)
func vectorMap(_ x: Tensor, _ f: (SIMD16<Float>) -> SIMD16<Float>) -> Tensor {
    vectorMap(x, x) { a, _ in f(a) }
}

/// Elementwise f(a, b) of two same-shape tensors on 16 lanes at a time.
@inline(__always)
func vectorMap(_ a: Tensor, _ b: Tensor, _ f: (SIMD16<Float>, SIMD16<Float>) -> SIMD16<Float>) -> Tensor {
    precondition(a.shape == b.shape, "vectorMap: shapes \(a.shape) and \(b.shape) differ")
    let pa = a.storage.pointer, pb = b.storage.pointer
    return Tensor(shape: a.shape) { out in
        let po = out.baseAddress!
        // Chunks of whole vectors, so a chunk boundary never splits one.
        let vectors = (out.count + 15) / 16
        Parallel.forEachChunk(vectors, grain: 2048) { range in
            for v in range {
                let i = v * 16
                if i + 16 <= out.count {
                    VectorMath.store(f(VectorMath.load(pa + i), VectorMath.load(pb + i)), po + i)
                } else {
                    var va = SIMD16<Float>(), vb = SIMD16<Float>()
                    for j in i..<out.count { va[j - i] = pa[j]; vb[j - i] = pb[j] }
                    let r = f(va, vb)
                    for j in i..<out.count { po[j] = r[j - i] }
                }
            }
        }
    }
}

extension Tensor {
    // The pullbacks capture only what the rule needs (shapes, flags, the operand values for mul/div), never the
    // operand tensors themselves: that would keep their storage alive until backward for nothing.

    // d(a + b) = da + db
    public static func + (a: Tensor, b: Tensor) -> Tensor {
        let out = broadcastBinary(a, b, AddOp.self)
        let (aShape, bShape, aGrad, bGrad) = (a.shape, b.shape, a.requiresGrad, b.requiresGrad)
        return record("add", inputs: [a, b], output: out) { g in
            [aGrad ? g.sumToShape(aShape) : nil, bGrad ? g.sumToShape(bShape) : nil]
        }
    }

    // d(a - b) = da - db
    public static func - (a: Tensor, b: Tensor) -> Tensor {
        let out = broadcastBinary(a, b, SubOp.self)
        let (aShape, bShape, aGrad, bGrad) = (a.shape, b.shape, a.requiresGrad, b.requiresGrad)
        return record("sub", inputs: [a, b], output: out) { g in
            [aGrad ? g.sumToShape(aShape) : nil, bGrad ? unaryMap(g, -).sumToShape(bShape) : nil]
        }
    }

    // d(a * b) = b da + a db
    public static func * (a: Tensor, b: Tensor) -> Tensor {
        let out = broadcastBinary(a, b, MulOp.self)
        let (aShape, bShape, aGrad, bGrad) = (a.shape, b.shape, a.requiresGrad, b.requiresGrad)
        let (av, bv) = (a.detached, b.detached)
        return record("mul", inputs: [a, b], output: out) { g in
            [aGrad ? broadcastBinary(g, bv, MulOp.self).sumToShape(aShape) : nil,
             bGrad ? broadcastBinary(g, av, MulOp.self).sumToShape(bShape) : nil]
        }
    }

    // d(a / b) = da / b - a db / b^2
    public static func / (a: Tensor, b: Tensor) -> Tensor {
        let out = broadcastBinary(a, b, DivOp.self)
        let (aShape, bShape, aGrad, bGrad) = (a.shape, b.shape, a.requiresGrad, b.requiresGrad)
        let (av, bv) = (a.detached, b.detached)
        return record("div", inputs: [a, b], output: out) { g in
            [aGrad ? broadcastBinary(g, bv, DivOp.self).sumToShape(aShape) : nil,
             bGrad ? broadcastBinary(broadcastBinary(g, av, MulOp.self), broadcastBinary(bv, bv, MulOp.self), { -$0 / $1 }).sumToShape(bShape) : nil]
        }
    }

    public static prefix func - (x: Tensor) -> Tensor { x * -1 }

    // Scalar forms. d(x * s) = s dx, d(x + s) = dx.
    public static func * (x: Tensor, s: Float) -> Tensor {
        let out = unaryMap(x) { $0 * s }
        return record("mulScalar", inputs: [x], output: out) { g in [unaryMap(g) { $0 * s }] }
    }
    public static func * (s: Float, x: Tensor) -> Tensor { x * s }
    public static func / (x: Tensor, s: Float) -> Tensor { x * (1 / s) }
    public static func + (x: Tensor, s: Float) -> Tensor {
        let out = unaryMap(x) { $0 + s }
        return record("addScalar", inputs: [x], output: out) { g in [g] }
    }
    public static func + (s: Float, x: Tensor) -> Tensor { x + s }
    public static func - (x: Tensor, s: Float) -> Tensor { x + (-s) }
    public static func - (s: Float, x: Tensor) -> Tensor { (-x) + s }
}
