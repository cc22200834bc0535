import TensorCore

/// A reverse-process stepper: DDPM visits every timestep; DDIM and DPM-Solver++ a subset.
public protocol Sampler: Sendable {
    /// Timesteps visited, largest first.
    var timesteps: [Int] { get }
    /// Whether `step` uses fresh noise z (it then must be given one per step).
    var isStochastic: Bool { get }
    /// One step at `t`, the next of `timesteps` (multistep solvers remember the steps before).
    /// eps, sample, noise: `[N, C, H, W]` -> the next sample and the predicted x_0.
    mutating func step(eps: Tensor, t: Int, sample: Tensor, noise: Tensor?) -> (prevSample: Tensor, predictedX0: Tensor)
}

extension DDPMSampler: Sampler {
    public var isStochastic: Bool { true }
}

extension DDIMSampler: Sampler {
    public var isStochastic: Bool { eta > 0 }
}

extension DPMSolverSampler: Sampler {
    public var isStochastic: Bool { false }
}

/// The sampler a user picks on the command line or in a request.
public enum SamplerKind: String, Sendable, CaseIterable, Codable {
    case ddpm, ddim
    case dpmSolver = "dpm-solver"
}

/// What the samplers do with x0hat, by name (`--threshold`).
public enum Thresholding: String, Sendable, CaseIterable, Codable {
    case clip, dynamic, none

    public var x0Processing: X0Processing {
        switch self {
        case .clip: .clip
        case .dynamic: .dynamicDefault
        case .none: .none
        }
    }
}
