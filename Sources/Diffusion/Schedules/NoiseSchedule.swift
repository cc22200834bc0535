import Foundation
import TensorCore

/// The forward (noising) process of DDPM (Ho et al. 2020), precomputed for every timestep t = 0..<T.
///
/// Notation (Guide.md): beta_t is the variance added at step t, alpha_t = 1 - beta_t, and
/// alphabar_t = prod_{s<=t} alpha_s is how much of the clean image x_0 survives in x_t.
/// Indices are 0-based as in diffusers: t = 0 is the first noising step, t = T - 1 the last.
/// Explained in Chapters/03-DDPM.md.
public struct NoiseSchedule: Sendable, Equatable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// beta linear from 1e-4 to 0.02 (Ho et al. 2020).
        case linear
        /// alphabar_t follows a squared cosine (Nichol & Dhariwal 2021; diffusers' `squaredcos_cap_v2`).
        case cosine
    }

    public let kind: Kind
    /// T, the number of diffusion steps.
    public let steps: Int
    public let betas: [Float]
    public let alphas: [Float]
    public let alphasCumprod: [Float]
    /// alphabar_{t-1}, with alphabar_{-1} = 1.
    public let alphasCumprodPrev: [Float]
    public let sqrtAlphasCumprod: [Float]
    public let sqrtOneMinusAlphasCumprod: [Float]
    /// Variance of the posterior q(x_{t-1} | x_t, x_0):  betatilde_t = beta_t (1 - alphabar_{t-1}) / (1 - alphabar_t).
    public let posteriorVariance: [Float]
    /// Mean of the posterior: mutilde_t = coef1_t x_0 + coef2_t x_t.
    public let posteriorMeanCoef1: [Float]
    public let posteriorMeanCoef2: [Float]

    public init(_ kind: Kind, steps: Int = 1000, betaStart: Double = 1e-4, betaEnd: Double = 0.02) {
        precondition(steps >= 2, "NoiseSchedule: need at least 2 steps, got \(steps)")
        self.kind = kind
        self.steps = steps
        let b: [Double]
        switch kind {
        case .linear:
            // beta_t = beta_1 + (beta_T - beta_1) t / (T - 1)
            b = (0..<steps).map { betaStart + (betaEnd - betaStart) * Double($0) / Double(steps - 1) }
        case .cosine:
            // alphabar(s) = cos^2((s + 0.008) / 1.008 * pi / 2),  beta_t = min(1 - alphabar((t+1)/T) / alphabar(t/T), 0.999)
            func alphaBar(_ s: Double) -> Double { Foundation.pow(Foundation.cos((s + 0.008) / 1.008 * Double.pi / 2), 2) }
            b = (0..<steps).map { min(1 - alphaBar(Double($0 + 1) / Double(steps)) / alphaBar(Double($0) / Double(steps)), 0.999) }
        }
        // alpha_t = 1 - beta_t;  alphabar_t = prod_{s <= t} alpha_s
        // As diffusers: beta_t and alpha_t rounded to float32 first, the product accumulated in double. At the
        // cosine schedule's last step alphabar is 2.4e-9, where this rounding decides the float32 value of
        // sigma_t = sqrt(1 - alphabar_t) that solvers divide by alpha_t = 5e-5.
        let a = b.map { Double(1 - Float($0)) }
        var cumprod: [Double] = []
        var running = 1.0
        for x in a { running *= x; cumprod.append(running) }
        let prev = [1.0] + cumprod.dropLast()
        betas = b.map(Float.init)
        alphas = a.map(Float.init)
        alphasCumprod = cumprod.map(Float.init)
        alphasCumprodPrev = prev.map(Float.init)
        sqrtAlphasCumprod = cumprod.map { Float($0.squareRoot()) }
        sqrtOneMinusAlphasCumprod = cumprod.map { Float((1 - $0).squareRoot()) }
        // betatilde_t = (1 - alphabar_{t-1}) / (1 - alphabar_t) beta_t          (Ho et al., eq. 7)
        posteriorVariance = (0..<steps).map { Float((1 - prev[$0]) / (1 - cumprod[$0]) * b[$0]) }
        // mutilde_t = sqrt(alphabar_{t-1}) beta_t / (1 - alphabar_t) x_0 + sqrt(alpha_t) (1 - alphabar_{t-1}) / (1 - alphabar_t) x_t
        posteriorMeanCoef1 = (0..<steps).map { Float(prev[$0].squareRoot() * b[$0] / (1 - cumprod[$0])) }
        posteriorMeanCoef2 = (0..<steps).map { Float(a[$0].squareRoot() * (1 - prev[$0]) / (1 - cumprod[$0])) }
    }

    /// Samples x_t ~ q(x_t | x_0) in closed form (Ho et al., eq. 4):
    ///   x_t = sqrt(alphabar_t) x_0 + sqrt(1 - alphabar_t) eps,   eps ~ N(0, I)
    /// - x0: `[N, C, H, W]`, t: N timesteps, noise: `[N, C, H, W]` -> `[N, C, H, W]`.
    public func qSample(x0: Tensor, t: [Int], noise: Tensor) -> Tensor {
        precondition(x0.shape == noise.shape && t.count == x0.shape[0], "qSample: x0 \(x0.shape), noise \(noise.shape), \(t.count) timesteps")
        for ti in t { precondition(ti >= 0 && ti < steps, "qSample: timestep \(ti) outside 0..<\(steps)") }
        let n = x0.shape[0]
        let a = Tensor(shape: [n, 1, 1, 1], scalars: t.map { sqrtAlphasCumprod[$0] })
        let s = Tensor(shape: [n, 1, 1, 1], scalars: t.map { sqrtOneMinusAlphasCumprod[$0] })
        return a * x0 + s * noise
    }
}
