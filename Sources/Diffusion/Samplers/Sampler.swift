import TensorCore

/// A reverse-process stepper: DDPM visits every timestep, DDIM a subset.
public protocol Sampler: Sendable {
    /// Timesteps visited, largest first.
    var timesteps: [Int] { get }
    /// Whether `step` uses fresh noise z (it then must be given one per step).
    var isStochastic: Bool { get }
    func step(eps: Tensor, t: Int, sample: Tensor, noise: Tensor?) -> (prevSample: Tensor, predictedX0: Tensor)
}

extension DDPMSampler: Sampler {
    public var isStochastic: Bool { true }
}

extension DDIMSampler: Sampler {
    public var isStochastic: Bool { eta > 0 }
}

/// The sampler a user picks on the command line.
public enum SamplerKind: String, Sendable, CaseIterable, Codable {
    case ddpm, ddim

    /// DDPM always runs all T steps; DDIM runs `steps`.
    public func make(schedule: NoiseSchedule, steps: Int, eta: Float = 0) -> any Sampler {
        switch self {
        case .ddpm: DDPMSampler(schedule: schedule)
        case .ddim: DDIMSampler(schedule: schedule, inferenceSteps: steps, eta: eta)
        }
    }
}
