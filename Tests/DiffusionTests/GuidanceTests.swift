import TensorCore
import XCTest
@testable import Diffusion

/// Chapter 6: guidance by a loss and classifier guidance, on tiny untrained networks.
final class GuidanceTests: XCTestCase {
    let schedule = NoiseSchedule(.linear, steps: 100)

    /// The tests' tiny class-conditional UNet2DModel, on 28x28 digits.
    func tinyModel(seed: UInt64 = 3) -> UNet2DModel {
        var rng = SeededGenerator(seed: seed)
        let model = UNet2DModel(TestSupport.tinyRecipe().model, rng: &rng)
        model.eval()
        return model
    }

    /// f(x + h v) - f(x - h v) over 2h: the derivative of f along v, by central differences.
    func directionalDifference(_ f: (Tensor) -> Float, x: Tensor, v: Tensor, h: Float) -> Double {
        withoutGrad { (Double(f(x + v * h)) - Double(f(x - v * h))) / Double(2 * h) }
    }

    func dot(_ a: Tensor, _ b: Tensor) -> Double { zip(a.scalars, b.scalars).reduce(0) { $0 + Double($1.0) * Double($1.1) } }

    /// The loss-guidance gradient (both ways) against central differences of L(x0hat(x_t)) along random directions.
    func testLossGuidanceGradientMatchesFiniteDifferences() {
        let model = tinyModel()
        let labels = [3, 10]
        func eps(_ x: Tensor) -> Tensor { model(x, timesteps: [40, 40], classLabels: labels) }
        var rng = SeededGenerator(seed: 11)
        let x = Tensor.randomNormal([2, 1, 28, 28], using: &rng)
        let t = 40
        for loss in [GuidanceLoss.ink(target: 0.3), .centroid(x: 8, y: 20)] {
            for gradient in LossGuidance.Gradient.allCases {
                let guide = LossGuidance(loss: loss, scale: 1, gradient: gradient)
                let (g, _) = guide.gradient(x: x, t: t, schedule: schedule, predictNoise: eps)
                let fixed = withoutGrad { eps(x) }
                // The function the gradient is of: eps held at x_t's for x0hat, recomputed for unet.
                func f(_ y: Tensor) -> Float {
                    loss(predictedX0(x: y, eps: gradient == .x0hat ? fixed : eps(y), t: t, schedule: schedule)).item
                }
                for trial in 0..<3 {
                    var r = SeededGenerator(seed: 100 + UInt64(trial))
                    let v = Tensor.randomNormal(x.shape, using: &r)
                    let numeric = directionalDifference(f, x: x, v: v, h: 1e-2)
                    let analytic = dot(g, v)
                    XCTAssertEqual(analytic, numeric, accuracy: 0.03 * max(abs(numeric), 1e-4),
                                   "\(loss) \(gradient) direction \(trial): autodiff \(analytic), differences \(numeric)")
                }
            }
        }
    }

    /// With eps held fixed, the gradient is the loss's gradient in x0hat over sqrt(alphabar_t).
    func testCheapGradientIsTheX0GradientScaled() {
        var rng = SeededGenerator(seed: 5)
        let x = Tensor.randomNormal([2, 1, 28, 28], using: &rng), e = Tensor.randomNormal([2, 1, 28, 28], using: &rng)
        let t = 70
        let (g, _) = LossGuidance(loss: .ink(target: 0.5), scale: 1).gradient(x: x, t: t, schedule: schedule) { _ in e }
        let x0 = withoutGrad { predictedX0(x: x, eps: e, t: t, schedule: schedule) }
        // L = sum_n (mean_p (x0 + 1) / 2 - 0.5)^2, so dL/dx0_np = (m_n - 0.5) / P
        let per = 28 * 28
        for n in 0..<2 {
            let m = x0.narrow(axis: 0, start: n, length: 1).scalars.reduce(0) { $0 + ($1 + 1) / 2 } / Float(per)
            let expected = (m - 0.5) / Float(per) / schedule.sqrtAlphasCumprod[t]
            XCTAssertEqual(g.scalars[n * per + 17], expected, accuracy: 1e-4 * abs(expected) + 1e-9)
        }
    }

    /// Classifier guidance's gradient points up log p(c | x): a small step along it raises the requested class's
    /// log-probability, a step against it lowers it, and its size matches central differences; the guided eps moves
    /// x0hat the same way.
    func testClassifierGuidanceGradientRaisesTheRequestedClass() {
        var rng = SeededGenerator(seed: 9)
        let noisy = NoiseAwareClassifier(rng: &rng)
        let clean = MNISTClassifier(random: nil, rng: &rng)
        clean.eval()
        let x = Tensor.randomNormal([2, 1, 28, 28], using: &rng), e = Tensor.randomNormal([2, 1, 28, 28], using: &rng)
        let t = 30, classes = [7, 2]
        for classifier in [GuidanceClassifier.noiseAware(noisy), .clean(clean)] {
            let guide = ClassifierGuidance(classifier: classifier, classes: classes, scale: 1)
            func logP(_ y: Tensor) -> Float {
                withoutGrad {
                    let logits: Tensor
                    switch classifier {
                    case let .clean(c): logits = c(predictedX0(x: y, eps: e, t: t, schedule: schedule))
                    case let .noiseAware(c): logits = c(y, timesteps: [Float(t), Float(t)])
                    }
                    return Tensor.crossEntropy(logits, labels: classes).item * -2
                }
            }
            let g = guide.logProbabilityGradient(x: x, eps: e, t: t, schedule: schedule)
            let norm = dot(g, g).squareRoot()
            XCTAssertGreaterThan(norm, 0, "\(classifier): the gradient is zero")
            let step = withoutGrad { g * Float(0.05 / norm) }
            XCTAssertGreaterThan(logP(withoutGrad { x + step }), logP(x), "\(classifier): a step along the gradient must raise log p(c | x)")
            XCTAssertLessThan(logP(withoutGrad { x - step }), logP(x), "\(classifier): a step against it must lower log p(c | x)")
            XCTAssertEqual(directionalDifference(logP, x: x, v: g, h: Float(1e-2 / norm)), norm * norm, accuracy: 0.05 * norm * norm)
            // eps_hat = eps - s sqrt(1 - alphabar) g: for the clean classifier, x0hat(eps_hat) reads as the class more.
            if case let .clean(c) = classifier {
                let (_, guided) = ClassifierGuidance(classifier: classifier, classes: classes, scale: 0.5).guide(x: x, t: t, schedule: schedule) { _ in e }
                func read(_ eps: Tensor) -> Float {
                    withoutGrad { Tensor.crossEntropy(c(predictedX0(x: x, eps: eps, t: t, schedule: schedule)), labels: classes).item }
                }
                XCTAssertLessThan(read(guided), read(e), "the guided eps must make x0hat more like the requested class")
            }
        }
    }

    /// With no guide, the guided loop draws exactly what the plain sampling loop draws.
    func testGuidedLoopWithoutAGuideMatchesSampleImages() {
        let model = tinyModel()
        let sampler = DDIMSampler(schedule: schedule, inferenceSteps: 4)
        var a = SeededGenerator(seed: 21), b = SeededGenerator(seed: 21)
        let plain = sampleImages(model: model, sampler: sampler, shape: [2, 1, 28, 28], labels: [1, 10], rng: &a).images
        let guided = sampleGuided(model: model, sampler: sampler, schedule: schedule, shape: [2, 1, 28, 28], labels: [1, 10],
                                  guide: nil, rng: &b)
        XCTAssertEqual(plain.scalars, guided.scalars)
    }

    /// Guidance by the ink loss changes what the loop draws in the asked direction: more ink than unguided.
    func testInkGuidanceAddsInk() {
        let model = tinyModel()
        let sampler = DDIMSampler(schedule: schedule, inferenceSteps: 4)
        let loss = GuidanceLoss.ink(target: 0.9)
        var a = SeededGenerator(seed: 4), b = SeededGenerator(seed: 4)
        let plain = sampleGuided(model: model, sampler: sampler, schedule: schedule, shape: [2, 1, 28, 28], labels: [1, 10], guide: nil, rng: &a)
        let guided = sampleGuided(model: model, sampler: sampler, schedule: schedule, shape: [2, 1, 28, 28], labels: [1, 10],
                                  guide: LossGuidance(loss: loss, scale: 2000), rng: &b)
        XCTAssertGreaterThan(loss.measure(guided).reduce(0, +), loss.measure(plain).reduce(0, +) + 0.05)
    }
}
