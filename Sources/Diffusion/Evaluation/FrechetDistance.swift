import Foundation
import TensorCore

/// The Frechet distance between two Gaussians fitted to feature sets (Heusel et al. 2017, "FID"):
///   d^2 = ||mu_1 - mu_2||^2 + Tr(S_1 + S_2 - 2 (S_1 S_2)^{1/2})
/// Here the features are the MNIST classifier's penultimate layer, not Inception's: numbers are comparable
/// within this project, not with published FIDs on natural images.
/// Explained in Chapters/04-Conditional.md.
public enum FrechetDistance {
    /// Mean and covariance (unbiased) of the rows of `features` `[N, D]`, in Double.
    public static func statistics(_ features: Tensor) -> (mean: [Double], covariance: [[Double]]) {
        precondition(features.rank == 2 && features.shape[0] >= 2, "FrechetDistance: need [N >= 2, D] features, got \(features.shape)")
        let (n, d) = (features.shape[0], features.shape[1])
        let x = features.scalars.map(Double.init)
        var mean = [Double](repeating: 0, count: d)
        for i in 0..<n { for j in 0..<d { mean[j] += x[i * d + j] } }
        for j in 0..<d { mean[j] /= Double(n) }
        var cov = [[Double]](repeating: [Double](repeating: 0, count: d), count: d)
        for i in 0..<n {
            for a in 0..<d {
                let da = x[i * d + a] - mean[a]
                for b in a..<d { cov[a][b] += da * (x[i * d + b] - mean[b]) }
            }
        }
        for a in 0..<d { for b in a..<d { cov[a][b] /= Double(n - 1); cov[b][a] = cov[a][b] } }
        return (mean, cov)
    }

    /// d^2 between two fitted Gaussians. The trace of the matrix square root uses that S_1 S_2 is similar to
    /// the symmetric matrix M = S_1^{1/2} S_2 S_1^{1/2}, so Tr (S_1 S_2)^{1/2} = sum_i sqrt(lambda_i(M)).
    public static func distance(_ a: (mean: [Double], covariance: [[Double]]), _ b: (mean: [Double], covariance: [[Double]])) -> Double {
        let meanTerm = zip(a.mean, b.mean).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        let rootA = SymmetricMatrix.squareRoot(a.covariance)
        let m = SymmetricMatrix.multiply(SymmetricMatrix.multiply(rootA, b.covariance), rootA)
        let traceRoot = SymmetricMatrix.eigenvalues(SymmetricMatrix.symmetrized(m)).reduce(0) { $0 + max($1, 0).squareRoot() }
        let trace = (0..<a.mean.count).reduce(0) { $0 + a.covariance[$1][$1] + b.covariance[$1][$1] }
        return meanTerm + trace - 2 * traceRoot
    }

    public static func distance(_ x: Tensor, _ y: Tensor) -> Double { distance(statistics(x), statistics(y)) }
}

/// Small dense symmetric-matrix routines in Double (D = 128 here), enough for FID.
public enum SymmetricMatrix {
    /// Eigen-decomposition by cyclic Jacobi rotations: A = V diag(lambda) V^T. Returns (lambda, V as columns).
    public static func eigen(_ a: [[Double]], sweeps: Int = 60) -> (values: [Double], vectors: [[Double]]) {
        let n = a.count
        var m = a
        var v = (0..<n).map { i in (0..<n).map { $0 == i ? 1.0 : 0.0 } }
        for _ in 0..<sweeps {
            var off = 0.0
            for p in 0..<n { for q in (p + 1)..<max(n, p + 1) { off += m[p][q] * m[p][q] } }
            if off < 1e-22 { break }
            for p in 0..<n {
                for q in (p + 1)..<max(n, p + 1) where abs(m[p][q]) > 1e-300 {
                    // Rotate rows/columns p, q to zero m[p][q].
                    let theta = (m[q][q] - m[p][p]) / (2 * m[p][q])
                    let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot(), s = t * c
                    for k in 0..<n {
                        let mkp = m[k][p], mkq = m[k][q]
                        m[k][p] = c * mkp - s * mkq
                        m[k][q] = s * mkp + c * mkq
                    }
                    for k in 0..<n {
                        let mpk = m[p][k], mqk = m[q][k]
                        m[p][k] = c * mpk - s * mqk
                        m[q][k] = s * mpk + c * mqk
                    }
                    for k in 0..<n {
                        let vkp = v[k][p], vkq = v[k][q]
                        v[k][p] = c * vkp - s * vkq
                        v[k][q] = s * vkp + c * vkq
                    }
                }
            }
        }
        return ((0..<n).map { m[$0][$0] }, v)
    }

    public static func eigenvalues(_ a: [[Double]]) -> [Double] { eigen(a).values }

    /// The symmetric positive semi-definite square root: V diag(sqrt(max(lambda, 0))) V^T.
    public static func squareRoot(_ a: [[Double]]) -> [[Double]] {
        let (values, v) = eigen(a)
        let n = a.count
        var out = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
        for k in 0..<n {
            let r = max(values[k], 0).squareRoot()
            guard r > 0 else { continue }
            for i in 0..<n { let vik = v[i][k] * r; for j in 0..<n { out[i][j] += vik * v[j][k] } }
        }
        return out
    }

    public static func multiply(_ a: [[Double]], _ b: [[Double]]) -> [[Double]] {
        let n = a.count, m = b[0].count, k = b.count
        var out = [[Double]](repeating: [Double](repeating: 0, count: m), count: n)
        for i in 0..<n {
            var row = [Double](repeating: 0, count: m)
            for p in 0..<k {
                let aip: Double = a[i][p]
                let bp: [Double] = b[p]
                for j in 0..<m { row[j] += aip * bp[j] }
            }
            out[i] = row
        }
        return out
    }

    /// (A + A^T) / 2, removing rounding asymmetry.
    public static func symmetrized(_ a: [[Double]]) -> [[Double]] {
        var out = a
        for i in 0..<a.count {
            for j in 0..<a.count {
                let sum: Double = a[i][j] + a[j][i]
                out[i][j] = sum / 2
            }
        }
        return out
    }
}
