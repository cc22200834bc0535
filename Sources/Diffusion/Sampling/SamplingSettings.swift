import TensorCore

/// How to sample a trained model: which solver, how many steps, how strong the guidance, what to do with x0hat.
/// The one owner of these choices and of their valid ranges: the command line and the web service both build
/// one and call `validate(timesteps:)`, so a bad value is a `SamplingError`, never a trap.
public struct SamplingSettings: Sendable, Equatable, Codable {
    public var sampler: SamplerKind
    /// Solver steps (DDIM, DPM-Solver++). DDPM always visits all of the model's T timesteps.
    public var steps: Int
    /// Classifier-free guidance scale w (conditional models only).
    public var guidance: Float
    /// DDIM's noise scale: 0 deterministic, 1 DDPM-like.
    public var eta: Float
    /// DPM-Solver++'s order: 1 (DDIM in log-SNR time) or 2 (2M).
    public var order: Int
    /// DDPM's sigma_t^2: the posterior variance betatilde_t or beta_t.
    public var variance: DDPMSampler.Variance
    public var thresholding: Thresholding
    /// Guide only at timesteps t in this range (nil: at every step); see `ClassifierFreeGuidance.interval`.
    public var guidanceInterval: ClosedRange<Int>?

    /// The defaults of `generate`, `serve` and the page, chosen by the quality-versus-steps map of
    /// Chapters/04-Conditional.md ("Choosing the defaults").
    public static let defaults = SamplingSettings(sampler: .dpmSolver, steps: 10, guidance: 0.35, eta: 0, order: 2,
                                                  variance: .fixedSmall, thresholding: .clip)
    public static let guidanceRange: ClosedRange<Float> = 0...20
    public static let etaRange: ClosedRange<Float> = 0...1

    public init(sampler: SamplerKind = defaults.sampler, steps: Int = defaults.steps, guidance: Float = defaults.guidance,
                eta: Float = 0, order: Int = 2, variance: DDPMSampler.Variance = .fixedSmall, thresholding: Thresholding = .clip,
                guidanceInterval: ClosedRange<Int>? = nil) {
        self.sampler = sampler
        self.steps = steps
        self.guidance = guidance
        self.eta = eta
        self.order = order
        self.variance = variance
        self.thresholding = thresholding
        self.guidanceInterval = guidanceInterval
    }

    /// Model calls per image batch: T for DDPM, `steps` otherwise (guidance doubles the batch, not the calls).
    public func stepCount(timesteps: Int) -> Int { sampler == .ddpm ? timesteps : steps }

    /// Checks every value against its range and `steps` against the model's T.
    public func validate(timesteps: Int) throws(SamplingError) {
        if sampler != .ddpm && !(1...timesteps).contains(steps) { throw .steps(steps, modelTimesteps: timesteps) }
        guard guidance.isFinite && Self.guidanceRange.contains(guidance) else { throw .guidance(guidance) }
        guard eta.isFinite && Self.etaRange.contains(eta) else { throw .eta(eta) }
        guard order == 1 || order == 2 else { throw .order(order) }
        if let i = guidanceInterval, i.lowerBound < 0 || i.upperBound >= timesteps { throw .guidanceInterval(i, modelTimesteps: timesteps) }
    }

    /// The sampler for a schedule, after `validate`.
    public func makeSampler(schedule: NoiseSchedule) throws(SamplingError) -> any Sampler {
        try validate(timesteps: schedule.steps)
        let x0 = thresholding.x0Processing
        switch sampler {
        case .ddpm: return DDPMSampler(schedule: schedule, variance: variance, x0Processing: x0)
        case .ddim: return DDIMSampler(schedule: schedule, inferenceSteps: steps, eta: eta, x0Processing: x0)
        case .dpmSolver: return DPMSolverSampler(schedule: schedule, inferenceSteps: steps, order: order, x0Processing: x0)
        }
    }

    /// A short description for reports and captions, e.g. "dpm-solver 10 steps, w = 0.5".
    public func summary(timesteps: Int) -> String {
        "\(sampler.rawValue) \(stepCount(timesteps: timesteps)) steps, w = \(guidance)" +
            (guidanceInterval.map { " for t in \($0.lowerBound)...\($0.upperBound)" } ?? "")
    }
}

/// A sampling setting out of range: the message names the setting, its range and the value given.
public enum SamplingError: Error, Equatable, CustomStringConvertible {
    case steps(Int, modelTimesteps: Int)
    case guidance(Float)
    case eta(Float)
    case order(Int)
    case guidanceInterval(ClosedRange<Int>, modelTimesteps: Int)

    public var description: String {
        switch self {
        case let .steps(s, t): "steps must be in 1...\(t) (the model's T), got \(s)"
        case let .guidance(w):
            "guidance must be in \(Int(SamplingSettings.guidanceRange.lowerBound))...\(Int(SamplingSettings.guidanceRange.upperBound)), got \(w)"
        case let .eta(e): "eta must be in 0...1, got \(e)"
        case let .order(o): "order must be 1 or 2, got \(o)"
        case let .guidanceInterval(i, t): "guidance-interval must lie in 0...\(t - 1) (the model's timesteps), got \(i.lowerBound)...\(i.upperBound)"
        }
    }
}
