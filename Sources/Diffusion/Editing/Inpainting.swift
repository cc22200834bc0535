import TensorCore

/// Inpainting with an unconditionally trained denoiser (Lugmayr et al. 2022, "RePaint: Inpainting using
/// Denoising Diffusion Probabilistic Models"). At every step the known pixels are replaced by the known image
/// noised to the same level, and the model only fills the rest:
///
///     x_{t'}^known   = sqrt(alphabar_{t'}) x + sqrt(1 - alphabar_{t'}) eps          (q_sample of the known image)
///     x_{t'}^unknown = one reverse step from x_t                                     (DDIM, eta as given)
///     x_{t'}         = m * x_{t'}^known + (1 - m) * x_{t'}^unknown                   (m = 1 where known)
///
/// The two halves do not agree at first: the filled part never saw the known part's noise. RePaint's
/// resampling fixes that by going back: noise x_{t'} up to t again with q(x_t | x_{t'}) and redo the step,
/// u times in all, so the model "harmonizes" the fill with what is known:
///
///     x_t = sqrt(alphabar_t / alphabar_{t'}) x_{t'} + sqrt(1 - alphabar_t / alphabar_{t'}) z
///
/// RePaint jumps back 10 steps of 250 at a time; here the jump is one step of the (coarser) solver grid. On the
/// last step the known pixels are the image itself, so the result keeps them exactly.
/// Explained in Chapters/06-Guidance.md ("Inpainting").
public enum Inpainting {
    /// Fills the unknown pixels of each image.
    /// - images: `[N, 1, H, W]` in [-1, 1]; known: the same shape, 1 where a pixel is kept, 0 where it is filled.
    /// - labels: the class to complete each image as (nil: the null class, unconditional).
    /// - steps: solver steps from T - 1 down; eta: DDIM's noise (1: DDPM-like, what RePaint uses).
    /// - resampling: u, the times each step is taken (1: no resampling); costs u model calls per step.
    /// - returns: `[N, 1, H, W]`, equal to `images` wherever known is 1.
    public static func inpaint(_ trained: TrainedModel, images: Tensor, known: Tensor, labels: [Int?], steps: Int = 50,
                               eta: Float = 1, resampling: Int = 1, guidance: Float = 0, seed: UInt64,
                               progress: ((Int, Int) -> Void)? = nil) throws(EditingError) -> Tensor {
        let classes = try SDEdit.checkedLabels(trained, images: images, labels: labels)
        guard known.shape == images.shape else { throw .shape("the mask is \(known.shape) and the images \(images.shape); they must be the same size") }
        guard (1...EditingError.maxResampling).contains(resampling) else { throw .resampling(resampling) }
        let schedule = trained.schedule
        guard (1...schedule.steps).contains(steps) else { throw .sampling(.steps(steps, modelTimesteps: schedule.steps)) }
        guard eta.isFinite && (0...1).contains(eta) else { throw .sampling(.eta(eta)) }
        let cfg = trained.recipe.nullClass.map { ClassifierFreeGuidance(scale: guidance, nullClass: $0) }
        let list = PartialSampling.timesteps(from: schedule.steps - 1, steps: steps)
        let stepper = DDIMStepper(schedule: schedule, timesteps: list, eta: eta, x0Processing: .clip)
        let mask = known.scalars.map { $0 > 0.5 }
        let image = images.scalars
        var rng = SeededGenerator(seed: seed)
        let model = trained.model
        let shape = images.shape

        /// m * known + (1 - m) * x, as a selection so the known pixels are copied exactly.
        func merge(_ x: Tensor, knownAt t: Int?) -> Tensor {
            // x^known_t = q_sample(x, t), or the image itself after the last step
            let noisy = t.map { schedule.qSample(x0: images, t: Array(repeating: $0, count: shape[0]), noise: Tensor.randomNormal(shape, using: &rng)).scalars } ?? image
            let current = x.scalars
            return Tensor(shape: shape, scalars: (0..<current.count).map { mask[$0] ? noisy[$0] : current[$0] })
        }

        let wasTraining = model.isTraining
        model.eval()
        defer { model.train(wasTraining) }
        let pool = StoragePool()
        return withoutGrad {
            var x = merge(Tensor.randomNormal(shape, using: &rng), knownAt: list[0])
            for (i, t) in list.enumerated() {
                let next: Int? = i + 1 < list.count ? list[i + 1] : nil
                for r in 0..<resampling {
                    let eps = StoragePool.$current.withValue(pool) { PartialSampling.predictNoise(model, x: x, t: t, labels: classes, guidance: cfg) }
                    let z = eta > 0 ? Tensor.randomNormal(shape, using: &rng) : nil
                    let stepped = merge(stepper.step(eps: eps, from: t, to: next, sample: x, noise: z).prevSample, knownAt: next)
                    if r + 1 < resampling, next != nil {
                        // back up: x_t = sqrt(alphabar_t / alphabar_{t'}) x_{t'} + sqrt(1 - alphabar_t / alphabar_{t'}) z
                        let ratio = schedule.alphasCumprod[t] / schedule.alphasCumprod[next!]
                        x = stepped * ratio.squareRoot() + Tensor.randomNormal(shape, using: &rng) * (1 - ratio).squareRoot()
                    } else {
                        x = stepped
                        break
                    }
                }
                progress?(i + 1, list.count)
            }
            return x
        }
    }

    /// A mask that erases one half of each image: `[n, 1, side, side]`, 1 where kept.
    public static func halfMask(_ half: Half, count n: Int, side: Int = 28) -> Tensor {
        var plane = [Float](repeating: 1, count: side * side)
        for y in 0..<side {
            for x in 0..<side {
                let erased = switch half {
                case .left: x < side / 2
                case .right: x >= side / 2
                case .top: y < side / 2
                case .bottom: y >= side / 2
                }
                if erased { plane[y * side + x] = 0 }
            }
        }
        return Tensor(shape: [n, 1, side, side], scalars: Array((0..<n).map { _ in plane }.joined()))
    }

    public enum Half: String, Sendable, CaseIterable { case left, right, top, bottom }
}
