import ArgumentParser
import Diffusion

/// The sampler flags shared by every command that samples (`DDPM sample`, `Conditional generate/evaluate/...`).
/// Defaults are `SamplingSettings.defaults`; ranges are checked by `SamplingSettings.validate`.
public struct SamplerOptions: ParsableArguments {
    @Option(help: "Sampler: dpm-solver (DPM-Solver++), ddim, or ddpm (all of the model's T steps).")
    public var sampler: SamplerKind = SamplingSettings.defaults.sampler

    @Option(help: "Solver steps (dpm-solver, ddim); ddpm always uses all T.")
    public var steps = SamplingSettings.defaults.steps

    @Option(help: "DPM-Solver++ order: 1 (= DDIM) or 2 (2M).")
    public var order = SamplingSettings.defaults.order

    @Option(help: "DDIM eta: 0 deterministic, 1 DDPM-like noise.")
    public var eta = SamplingSettings.defaults.eta

    @Option(help: "DDPM variance: fixedSmall (betatilde_t) or fixedLarge (beta_t, TeaPearce's choice).")
    public var variance = SamplingSettings.defaults.variance

    @Option(help: "What to do with the predicted x0: clip (to [-1, 1]), dynamic (Imagen's thresholding) or none.")
    public var threshold = SamplingSettings.defaults.thresholding

    public init() {}

    /// The settings these flags give, with guidance scale w.
    public func settings(guidance: Float = 0) -> SamplingSettings {
        SamplingSettings(sampler: sampler, steps: steps, guidance: guidance, eta: eta, order: order, variance: variance, thresholding: threshold)
    }

    /// Range checks that need no model (steps against T is checked when the model is loaded).
    public func validate() throws {
        guard steps >= 1 else { throw ValidationError("--steps must be at least 1, got \(steps)") }
        do { try settings().validate(timesteps: steps) } catch { throw ValidationError("--\(error)") }
    }
}

extension SamplerKind: ExpressibleByArgument {}
extension Thresholding: ExpressibleByArgument {}
extension DDPMSampler.Variance: ExpressibleByArgument {}
