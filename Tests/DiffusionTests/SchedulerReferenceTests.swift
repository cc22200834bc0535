import XCTest
import TensorCore
@testable import Diffusion

/// Schedules, q_sample and the DDPM / DDIM steps against diffusers (Tests/Reference/MANIFEST.md).
final class SchedulerReferenceTests: XCTestCase {
    let schedules: [(String, NoiseSchedule)] = [("linear", NoiseSchedule(.linear)), ("cosine", NoiseSchedule(.cosine))]

    func testSchedulesMatchDiffusers() throws {
        let ref = try ReferenceFiles.load("schedules.safetensors")
        for (name, s) in schedules {
            assertClose(Tensor(shape: [1000], scalars: s.betas), try ref.tensor("\(name).betas"), atol: 1e-7, rtol: 1e-5, "\(name).betas")
            assertClose(Tensor(shape: [1000], scalars: s.alphasCumprod), try ref.tensor("\(name).alphas_cumprod"), atol: 1e-7, rtol: 1e-4, "\(name).alphas_cumprod")
        }
    }

    func testQSampleMatchesAddNoise() throws {
        let ref = try ReferenceFiles.load("ddpm_step.safetensors")
        let x0 = try ref.tensor("x0"), noise = try ref.tensor("noise")
        let t = try ref.ints("t").values
        for (name, s) in schedules {
            assertClose(s.qSample(x0: x0, t: t, noise: noise), try ref.tensor("\(name).add_noise"), "\(name).add_noise")
        }
    }

    func testDDPMStepMatchesDiffusers() throws {
        let ref = try ReferenceFiles.load("ddpm_step.safetensors")
        let t = try ref.ints("t").values
        for (name, s) in schedules {
            let sampler = DDPMSampler(schedule: s, variance: .fixedSmall, x0Processing: .clip)
            let xt = try ref.tensor("\(name).add_noise"), eps = try ref.tensor("\(name).model_output")
            let z = try ref.tensor("\(name).step_noise")
            for (i, ti) in t.enumerated() {
                let row = { (x: Tensor) in x.narrow(axis: 0, start: i, length: 1) }
                let (prev, x0) = sampler.step(eps: row(eps), t: ti, sample: row(xt), noise: row(z))
                assertClose(x0, try ref.tensor("\(name).t\(ti).pred_original_sample"), "\(name) t=\(ti) pred_original_sample")
                assertClose(prev, try ref.tensor("\(name).t\(ti).prev_sample"), "\(name) t=\(ti) prev_sample")
            }
        }
    }

    func testDDIMTimestepsAndStepsMatchDiffusers() throws {
        let ref = try ReferenceFiles.load("ddim_step.safetensors")
        for (name, s) in schedules {
            let expected = try ref.ints("\(name).timesteps").values
            XCTAssertEqual(DDIMSampler(schedule: s, inferenceSteps: 50).timesteps, expected, "\(name) timesteps")
            let x = try ref.tensor("\(name).sample"), eps = try ref.tensor("\(name).model_output")
            let z = try ref.tensor("\(name).variance_noise")
            for t in [expected[0], expected[25], expected[49]] {
                for eta in [0, 1] {
                    let sampler = DDIMSampler(schedule: s, inferenceSteps: 50, eta: Float(eta), x0Processing: .clip, useClippedModelOutput: false)
                    let (prev, _) = sampler.step(eps: eps, t: t, sample: x, noise: z)
                    assertClose(prev, try ref.tensor("\(name).t\(t).eta\(eta).prev_sample"), "\(name) t=\(t) eta=\(eta)")
                }
            }
        }
    }

    /// With the clipped model output, the step is the DDIM update written with eps re-derived from the clipped x0hat.
    func testDDIMWithClippedModelOutputIsConsistentWithTheClippedPrediction() {
        let s = NoiseSchedule(.linear)
        let sampler = DDIMSampler(schedule: s, inferenceSteps: 50, x0Processing: .clip, useClippedModelOutput: true)
        let x = Tensor(shape: [1, 1, 1, 3], scalars: [0.5, -2, 3]), eps = Tensor(shape: [1, 1, 1, 3], scalars: [-3, 1, 0.2])
        let t = 500, prevT = 480
        let (prev, x0) = sampler.step(eps: eps, t: t, sample: x, noise: nil)
        let ab = s.alphasCumprod[t], abPrev = s.alphasCumprod[prevT]
        for i in 0..<3 {
            let x0Raw = (x.scalars[i] - (1 - ab).squareRoot() * eps.scalars[i]) / ab.squareRoot()
            let x0c = min(max(x0Raw, -1), 1)
            XCTAssertEqual(x0.scalars[i], x0c, accuracy: 1e-5)
            let epsC = (x.scalars[i] - ab.squareRoot() * x0c) / (1 - ab).squareRoot()
            XCTAssertEqual(prev.scalars[i], abPrev.squareRoot() * x0c + (1 - abPrev).squareRoot() * epsC, accuracy: 1e-5)
        }
        // Where clipping does not bind, both settings agree.
        let inside = Tensor(shape: [1, 1, 1, 1], scalars: [0.1]), small = Tensor(shape: [1, 1, 1, 1], scalars: [0.05])
        let a = sampler.step(eps: small, t: t, sample: inside, noise: nil).prevSample.item
        let b = DDIMSampler(schedule: s, inferenceSteps: 50, useClippedModelOutput: false).step(eps: small, t: t, sample: inside, noise: nil).prevSample.item
        XCTAssertEqual(a, b, accuracy: 1e-6)
    }

    func testAlphaBarDecreasesInsideUnitInterval() {
        for (name, s) in schedules {
            XCTAssertTrue(s.alphasCumprod.allSatisfy { $0 > 0 && $0 <= 1 }, "\(name): alphabar outside (0, 1]")
            XCTAssertTrue(zip(s.alphasCumprod, s.alphasCumprod.dropFirst()).allSatisfy { $0 > $1 }, "\(name): alphabar not strictly decreasing")
            XCTAssertLessThan(s.alphasCumprod.last!, 1e-3, "\(name): x_T should be almost pure noise")
        }
    }

    /// Over many draws, x_t has mean sqrt(alphabar_t) x_0 and variance 1 - alphabar_t (the closed form).
    func testQSampleHasTheClosedFormMeanAndVariance() {
        let s = NoiseSchedule(.linear)
        var rng = SeededGenerator(seed: 99)
        let draws = 20_000
        for t in [0, 250, 999] {
            let x0 = Tensor.full([draws, 1, 1, 1], 0.7)
            let xt = s.qSample(x0: x0, t: Array(repeating: t, count: draws), noise: .randomNormal([draws, 1, 1, 1], using: &rng)).scalars
            let mean = xt.reduce(0, +) / Float(draws)
            let variance = xt.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(draws - 1)
            let expectedMean = s.sqrtAlphasCumprod[t] * 0.7, expectedVar = 1 - s.alphasCumprod[t]
            // Standard error of the mean is sqrt(var / n); of the variance about var sqrt(2 / n). Allow 5 of each.
            XCTAssertEqual(mean, expectedMean, accuracy: 5 * (expectedVar / Float(draws)).squareRoot() + 1e-6, "t=\(t) mean")
            XCTAssertEqual(variance, expectedVar, accuracy: 5 * expectedVar * (2 / Float(draws)).squareRoot() + 1e-7, "t=\(t) variance")
        }
    }
}
