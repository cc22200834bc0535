import Foundation
import TensorCore

/// DPM-Solver++ (Lu et al. 2022, "DPM-Solver++: Fast Solver for Guided Sampling of Diffusion Probabilistic
/// Models"), the multistep "2M" variant, as diffusers' `DPMSolverMultistepScheduler` with
/// `algorithm_type = "dpmsolver++"`, epsilon prediction, `lower_order_final`, `final_sigmas_type = "zero"` and
/// `timestep_spacing = "linspace"`.
///
/// Sampling is solving an ODE. The *probability-flow ODE* of the diffusion has the same marginals q(x_t) as the
/// noising process, and no noise of its own. Written with alpha_t = sqrt(alphabar_t), sigma_t = sqrt(1 - alphabar_t)
/// and the half log signal-to-noise ratio lambda_t = log(alpha_t / sigma_t), its exact solution from s to t is
///   x_t = (sigma_t / sigma_s) x_s + sigma_t int_{lambda_s}^{lambda_t} e^lambda x0hat(x_lambda) d lambda
/// where x0hat = (x - sigma eps) / alpha is the network's *data prediction*. The linear part is solved exactly;
/// only the integral of x0hat is approximated:
/// - order 1: x0hat constant over the step, which is exactly DDIM (eta = 0) written in lambda;
/// - order 2 ("2M"): x0hat linear in lambda, its slope taken from the previous step's x0hat (multistep: one
///   network call per step, like DDIM, but second-order accurate).
/// Explained in Chapters/04-Conditional.md ("Few-step solvers").
public struct DPMSolverSampler: Sendable {
    public let schedule: NoiseSchedule
    public let inferenceSteps: Int
    /// 1 (DDIM in lambda time) or 2 (DPM-Solver++ 2M).
    public let order: Int
    /// What to do with each x0hat before it is used (diffusers: `thresholding`; off there by default).
    public var x0Processing: X0Processing
    public let timesteps: [Int]
    /// sigma^VE_i = sqrt((1 - alphabar) / alphabar) at each visited timestep, then 0 (the clean image).
    let sigmas: [Float]
    /// How many steps have been taken (diffusers' `step_index`). Counted, not looked up from t: when the steps
    /// are as many as T, rounding the linspace grid repeats a timestep (T = 10, 10 steps: ..., 4, 4, ...).
    private var stepIndex = 0
    /// The previous step's data prediction (order 2 reads it).
    private var previousX0: Tensor?

    public init(schedule: NoiseSchedule, inferenceSteps: Int, order: Int = 2, x0Processing: X0Processing = .none) {
        precondition(inferenceSteps >= 1 && inferenceSteps <= schedule.steps,
                     "DPMSolverSampler: inferenceSteps must be in 1...\(schedule.steps), got \(inferenceSteps)")
        precondition(order == 1 || order == 2, "DPMSolverSampler: order must be 1 or 2, got \(order)")
        self.schedule = schedule
        self.inferenceSteps = inferenceSteps
        self.order = order
        self.x0Processing = x0Processing
        // "linspace" spacing: round(linspace(0, T - 1, N + 1)), largest first, the last (0) dropped,
        // e.g. T = 1000, N = 10: 999, 899, 799, 699, 599, 500, 400, 300, 200, 100. Rounding is numpy's (half to even).
        let last = Double(schedule.steps - 1)
        let grid = (0...inferenceSteps).map { (last * Double($0) / Double(inferenceSteps)).rounded(.toNearestOrEven) }
        timesteps = grid.reversed().dropLast().map { Int($0) }
        // sigma^VE_t = sqrt((1 - alphabar_t) / alphabar_t); the final "sigma" is 0: the last step lands on x0hat.
        sigmas = timesteps.map { ((1 - schedule.alphasCumprod[$0]) / schedule.alphasCumprod[$0]).squareRoot() } + [0]
    }

    /// alpha_t = 1 / sqrt(1 + sigma^2), sigma_t = sigma alpha_t, lambda_t = log alpha_t - log sigma_t.
    private func alphaSigmaLambda(_ i: Int) -> (alpha: Float, sigma: Float, lambda: Float) {
        let alpha = 1 / (sigmas[i] * sigmas[i] + 1).squareRoot()
        let sigma = sigmas[i] * alpha
        return (alpha, sigma, Foundation.log(alpha) - Foundation.log(sigma))
    }

    /// One solver step at timestep `t`, which must be the next of `timesteps` (the solver counts its steps and
    /// keeps the last x0hat).
    /// - eps: the model's noise prediction `[N, C, H, W]`; sample: x_t. No noise is used.
    /// - Returns: the sample at the next visited timestep (the clean image after the last) and x0hat.
    public mutating func step(eps: Tensor, t: Int, sample: Tensor, noise: Tensor?) -> (prevSample: Tensor, predictedX0: Tensor) {
        let i = stepIndex
        precondition(i < timesteps.count && timesteps[i] == t,
                     "DPMSolverSampler: step \(i) must be at timestep \(i < timesteps.count ? String(timesteps[i]) : "none"), got \(t)")
        let (alphaS, sigmaS, lambdaS) = alphaSigmaLambda(i)
        let (alphaT, sigmaT, lambdaT) = alphaSigmaLambda(i + 1)
        // x0hat = (x_s - sigma_s eps) / alpha_s                                (the data prediction)
        let x0 = x0Processing.apply((sample - eps * sigmaS) / alphaS)
        // h = lambda_t - lambda_s  (infinite on the last step, where sigma_t = 0 and e^{-h} = 0)
        let h = lambdaT - lambdaS
        let phi = alphaT * (Foundation.exp(-h) - 1)
        // The last step is always first order (lower_order_final, final sigma 0); so is the first (no history).
        let isLast = i == timesteps.count - 1
        var next: Tensor
        // r = h_{s'} / h, the previous step's width over this one's (0 after a repeated timestep: then order 1)
        let r = i > 0 ? (lambdaS - alphaSigmaLambda(i - 1).lambda) / h : 0
        if order == 2, !isLast, let previousX0, r > 0, r.isFinite {
            // D1 = (x0hat_s - x0hat_{s'}) / r: the slope of x0hat in lambda, times h
            let d1 = (x0 - previousX0) * (1 / r)
            // x_t = (sigma_t / sigma_s) x_s - alpha_t (e^{-h} - 1) D0 - 1/2 alpha_t (e^{-h} - 1) D1   (2M, midpoint)
            next = sample * (sigmaT / sigmaS) - x0 * phi - d1 * (0.5 * phi)
        } else {
            // x_t = (sigma_t / sigma_s) x_s - alpha_t (e^{-h} - 1) x0hat          (order 1: DDIM in lambda)
            next = sample * (sigmaT / sigmaS) - x0 * phi
        }
        previousX0 = x0
        stepIndex += 1
        return (next, x0)
    }
}

/// What a sampler does with the predicted clean image x0hat before using it.
public enum X0Processing: Sendable, Equatable {
    /// Use it as it is.
    case none
    /// Clip every pixel to the data range [-1, 1].
    case clip
    /// Imagen's dynamic thresholding (Saharia et al. 2022): per image, s = the `ratio` quantile of |x0hat|,
    /// s = min(max(s, 1), maxValue); then x0hat = clip(x0hat, -s, s) / s. Saturated pixels are pulled in
    /// rather than flattened, which keeps strokes shaped at strong guidance.
    case dynamic(ratio: Float, maxValue: Float)

    /// Imagen's ratio; a ceiling of 2 lets a strongly guided x0hat be rescaled by up to a half.
    public static let dynamicDefault = X0Processing.dynamic(ratio: 0.995, maxValue: 2)

    /// x0: `[N, ...]` -> the same shape.
    public func apply(_ x0: Tensor) -> Tensor {
        switch self {
        case .none: return x0
        case .clip: return x0.clamped(-1, 1)
        case let .dynamic(ratio, maxValue):
            let n = x0.shape[0], per = x0.count / max(n, 1)
            var out = x0.scalars
            for b in 0..<n {
                let range = b * per..<(b + 1) * per
                // s = quantile(|x0|, ratio), linear interpolation between order statistics (torch.quantile)
                let sorted = out[range].map { Swift.abs($0) }.sorted()
                let position = ratio * Float(per - 1)
                let low = Int(position), high = Swift.min(low + 1, per - 1)
                let q = sorted[low] + (sorted[high] - sorted[low]) * (position - Float(low))
                let s = Swift.min(Swift.max(q, 1), maxValue)
                for j in range { out[j] = Swift.min(Swift.max(out[j], -s), s) / s }
            }
            return Tensor(shape: x0.shape, scalars: out)
        }
    }
}
