import Foundation

/// Softmax and log-softmax along the last axis, computed stably (subtract the row maximum first).
extension Tensor {
    // y_i = exp(x_i) / sum_j exp(x_j);  dx = y * (g - sum_j g_j y_j)
    // Rows are independent: both directions split them over the cores.
    public func softmax() -> Tensor {
        let out = softmaxRaw()
        let y = out.detached
        return Tensor.record("softmax", inputs: [self], output: out) { g in
            let k = y.shape.last!, rows = y.count / k
            let pg = g.storage.pointer, py = y.storage.pointer
            return [Tensor(shape: y.shape) { dx in
                let pd = dx.baseAddress!
                Parallel.forEachChunk(rows, grain: Swift.max(1, 16_384 / k)) { range in
                    for r in range {
                        var dot: Float = 0
                        for j in 0..<k { dot += pg[r * k + j] * py[r * k + j] }
                        for j in 0..<k { pd[r * k + j] = py[r * k + j] * (pg[r * k + j] - dot) }
                    }
                }
            }]
        }
    }

    func softmaxRaw() -> Tensor {
        let k = shape.last!, rows = count / k
        let px = storage.pointer
        return Tensor(shape: shape) { out in
            let po = out.baseAddress!
            Parallel.forEachChunk(rows, grain: Swift.max(1, 16_384 / k)) { range in
                for r in range {
                    let row = px + r * k, o = po + r * k
                    let m = VectorMath.max(row, count: k)
                    let inv = 1 / VectorMath.expShifted(row, o, count: k, shift: m)
                    for j in 0..<k { o[j] *= inv }
                }
            }
        }
    }

    // y_i = x_i - log sum_j exp(x_j);  dx = g - softmax(x) * sum_j g_j
    public func logSoftmax() -> Tensor {
        let k = shape.last!, rows = count / k
        let px = storage.pointer
        let out = Tensor(shape: shape) { out in
            for r in 0..<rows {
                let row = px + r * k
                var m = -Float.infinity
                for j in 0..<k { m = Swift.max(m, row[j]) }
                var s: Float = 0
                for j in 0..<k { s += Foundation.exp(row[j] - m) }
                let lse = m + Foundation.log(s)
                for j in 0..<k { out[r * k + j] = row[j] - lse }
            }
        }
        let y = out.detached
        return Tensor.record("logSoftmax", inputs: [self], output: out) { g in
            let pg = g.storage.pointer, py = y.storage.pointer
            return [Tensor(shape: y.shape) { dx in
                for r in 0..<rows {
                    var s: Float = 0
                    for j in 0..<k { s += pg[r * k + j] }
                    for j in 0..<k { dx[r * k + j] = pg[r * k + j] - Foundation.exp(py[r * k + j]) * s }
                }
            }]
        }
    }
}
