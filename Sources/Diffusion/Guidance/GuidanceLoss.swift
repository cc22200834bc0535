import Foundation
import TensorCore

/// A differentiable loss on the predicted clean image, for guidance by a loss (the grayscale counterparts of the
/// HF diffusion course's color loss). Pixels are read as ink b = (x0hat + 1) / 2: 0 background, 1 full stroke.
/// Explained in Chapters/06-Guidance.md.
public enum GuidanceLoss: Sendable, Equatable {
    /// A target amount of ink: L_n = (mean_p b_np - target)^2. More ink is thicker strokes (MNIST's mean is
    /// about 0.13); less is thinner ones.
    case ink(target: Float)
    /// Where the digit's mass sits: its centre of ink c_n = sum_p b_np pos_p / sum_p b_np, with b clipped at 0
    /// so that the background is no mass, pulled to (x, y) in pixels from the top left:
    /// L_n = |c_n - target|^2 / (H W) (the squared distance as a share of the image's area).
    case centroid(x: Float, y: Float)

    /// Sum over the batch of the per-image losses. x0: `[N, 1, H, W]` in about [-1, 1] -> a scalar.
    public func callAsFunction(_ x0: Tensor) -> Tensor {
        let (n, h, w) = (x0.shape[0], x0.shape[2], x0.shape[3])
        let ink = (x0 + 1) * 0.5
        switch self {
        case let .ink(target):
            // L_n = (mean_p b_np - target)^2
            return (ink.mean(axes: [1, 2, 3]) - target).squared().sum()
        case let .centroid(tx, ty):
            let mass = ink.relu()
            let total = mass.sum(axes: [1, 2, 3]) + 1e-3
            let (columns, rows) = Self.coordinates(height: h, width: w)
            // c_n = sum_p b_np pos_p / sum_p b_np
            let cx = (mass * columns).sum(axes: [1, 2, 3]) / total
            let cy = (mass * rows).sum(axes: [1, 2, 3]) / total
            // L_n = |c_n - target|^2 / (H W)
            let distance = (cx - tx).squared() + (cy - ty).squared()
            precondition(distance.shape == [n], "GuidanceLoss: expected one distance per image")
            return distance.sum() * (1 / Float(h * w))
        }
    }

    /// What the loss measures, per image, on final images `[N, 1, H, W]` in [-1, 1] (clipped first): the mean ink,
    /// or the centre of ink's distance in pixels from the target.
    public func measure(_ images: Tensor) -> [Float] {
        withoutGrad {
            let x0 = images.clamped(-1, 1)
            switch self {
            case .ink: return ((x0 + 1) * 0.5).mean(axes: [1, 2, 3]).scalars
            case let .centroid(tx, ty):
                let mass = ((x0 + 1) * 0.5).relu()
                let total = mass.sum(axes: [1, 2, 3]) + 1e-3
                let (columns, rows) = Self.coordinates(height: x0.shape[2], width: x0.shape[3])
                let cx = ((mass * columns).sum(axes: [1, 2, 3]) / total).scalars
                let cy = ((mass * rows).sum(axes: [1, 2, 3]) / total).scalars
                return zip(cx, cy).map { (($0 - tx) * ($0 - tx) + ($1 - ty) * ($1 - ty)).squareRoot() }
            }
        }
    }

    /// What `measure` reports, for tables.
    public var measureName: String {
        switch self {
        case let .ink(target): String(format: "mean ink (target %.2f)", target)
        case let .centroid(x, y): String(format: "centre of ink's distance from (%.0f, %.0f), px", x, y)
        }
    }

    /// Pixel coordinates `[1, 1, H, W]`: the column index and the row index of each pixel.
    static func coordinates(height h: Int, width w: Int) -> (columns: Tensor, rows: Tensor) {
        (Tensor(shape: [1, 1, h, w], scalars: (0..<h * w).map { Float($0 % w) }),
         Tensor(shape: [1, 1, h, w], scalars: (0..<h * w).map { Float($0 / w) }))
    }
}

/// Guidance by a loss (the HF diffusion course, Unit 2, "Guidance"): at each step, compute x0hat, a loss on it,
/// and move x_t down the loss's gradient before the sampler steps. The course moves x_t by s grad_{x_t} L; here
/// the step is weighted by alphabar_t,
///   x_t <- x_t - s alphabar_t grad_{x_t} L(x0hat(x_t))
/// so that with eps held fixed x0hat moves by exactly -s grad_{x0hat} L at every t (grad_{x_t} L is
/// grad_{x0hat} L / sqrt(alphabar_t), and moving x_t by d moves x0hat by d / sqrt(alphabar_t)). Unweighted, the
/// move of x0hat carries 1 / alphabar_t, about 25,000 at t = 999 of the linear schedule against 1.1 at t = 100: a scale small enough for
/// the first step does nothing at the last (Chapters/06-Guidance.md shows the unweighted update failing).
/// The sampler then steps from the moved x_t with the eps predicted at the old one (as the course does).
/// Two ways to take the gradient:
/// - `.x0hat` (cheap): eps held fixed, so grad_{x_t} L = grad_{x0hat} L / sqrt(alphabar_t); one forward pass of the
///   network, no graph through it.
/// - `.unet` (exact): through the network too, x0hat = (x_t - sqrt(1 - alphabar_t) eps(x_t)) / sqrt(alphabar_t);
///   a forward pass that records the graph and a backward pass through the U-Net (about 3x the cost).
public struct LossGuidance: SamplingGuide, Sendable {
    public enum Gradient: String, Sendable, CaseIterable, Codable {
        case x0hat, unet
    }

    public var loss: GuidanceLoss
    /// s: how far down the gradient x_t moves per step.
    public var scale: Float
    public var gradient: Gradient

    public init(loss: GuidanceLoss, scale: Float, gradient: Gradient = .x0hat) {
        self.loss = loss
        self.scale = scale
        self.gradient = gradient
    }

    /// grad_{x_t} L(x0hat(x_t)) and the eps predicted at x_t. x: `[N, C, H, W]` -> both `[N, C, H, W]`.
    public func gradient(x: Tensor, t: Int, schedule: NoiseSchedule, predictNoise: (Tensor) -> Tensor) -> (grad: Tensor, eps: Tensor) {
        let input = x.detached.requiringGrad()
        let eps = gradient == .x0hat ? withoutGrad { predictNoise(x) } : predictNoise(input)
        loss(predictedX0(x: input, eps: eps, t: t, schedule: schedule)).backward()
        return (input.gradient ?? Tensor.zeros(x.shape), eps.detached)
    }

    public func guide(x: Tensor, t: Int, schedule: NoiseSchedule, predictNoise: (Tensor) -> Tensor) -> (x: Tensor, eps: Tensor) {
        let (grad, eps) = gradient(x: x, t: t, schedule: schedule, predictNoise: predictNoise)
        // x_t <- x_t - s alphabar_t grad_{x_t} L
        return (withoutGrad { x - grad * (scale * schedule.alphasCumprod[t]) }, eps)
    }
}
