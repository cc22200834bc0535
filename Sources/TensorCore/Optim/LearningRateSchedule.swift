import Foundation

/// The learning rate as a function of the step: constant, linear decay, or cosine, each with an optional
/// linear warmup from 0 over the first `warmupSteps`.
/// Explained in Chapters/03-DDPM.md, "The model and the recipe".
public struct LearningRateSchedule: Sendable, Equatable {
    public enum Shape: String, Sendable, CaseIterable, Codable { case constant, linear, cosine }
    public var shape: Shape
    public var base: Float
    public var totalSteps: Int
    public var warmupSteps: Int
    /// The rate the linear and cosine shapes decay to at `totalSteps`, as a fraction of `base`.
    public var finalFraction: Float

    public init(_ shape: Shape, base: Float, totalSteps: Int, warmupSteps: Int = 0, finalFraction: Float = 0) {
        self.shape = shape
        self.base = base
        self.totalSteps = max(totalSteps, 1)
        self.warmupSteps = max(warmupSteps, 0)
        self.finalFraction = finalFraction
    }

    /// The rate for 0-based `step`.
    public func rate(at step: Int) -> Float {
        if step < warmupSteps { return base * Float(step + 1) / Float(warmupSteps) }
        let span = max(totalSteps - warmupSteps, 1)
        let progress = min(Float(step - warmupSteps) / Float(span), 1)
        let f = finalFraction
        switch shape {
        case .constant: return base
        case .linear: return base * (1 - (1 - f) * progress)
        case .cosine: return base * (f + (1 - f) * 0.5 * (1 + Foundation.cos(Float.pi * progress)))
        }
    }
}
