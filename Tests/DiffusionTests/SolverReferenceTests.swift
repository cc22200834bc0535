import XCTest
import TensorCore
@testable import Diffusion

/// DPM-Solver++ step by step against diffusers' DPMSolverMultistepScheduler (Tests/Reference/dpm_solver.safetensors),
/// dynamic thresholding, DDPM's fixedLarge variance, and the checks of SamplingSettings.
final class SolverReferenceTests: XCTestCase {
    func testDPMSolverTimestepsAndEveryStepMatchDiffusers() throws {
        let ref = try ReferenceFiles.load("dpm_solver.safetensors")
        for (name, kind) in [("linear", NoiseSchedule.Kind.linear), ("cosine", .cosine)] {
            for steps in [10, 20] {
                for order in [1, 2] {
                    let key = "\(name).steps\(steps).order\(order)"
                    var solver = DPMSolverSampler(schedule: NoiseSchedule(kind), inferenceSteps: steps, order: order)
                    XCTAssertEqual(solver.timesteps, try ref.ints("\(key).timesteps").values, "\(key) timesteps")
                    let outputs = try ref.tensor("\(key).model_output"), expected = try ref.tensor("\(key).prev_sample")
                    var x = try ref.tensor("\(key).sample0")
                    for (i, t) in solver.timesteps.enumerated() {
                        let eps = outputs.narrow(axis: 0, start: i, length: 1).reshaped([2, 1, 8, 8])
                        x = solver.step(eps: eps, t: t, sample: x, noise: nil).prevSample
                        // Compare with diffusers' own sample (not ours) at each step, so errors cannot accumulate unseen.
                        assertClose(x, expected.narrow(axis: 0, start: i, length: 1).reshaped([2, 1, 8, 8]), "\(key) step \(i) (t = \(t))")
                    }
                    // The trajectory ends on the image the reference model steers to (up to its 5% noise).
                    let x0 = try ref.tensor("\(key).x0")
                    XCTAssertLessThan(zip(x.scalars, x0.scalars).map { abs($0 - $1) }.max()!, 0.25, "\(key) ends near x0")
                }
            }
        }
    }

    /// Order 1 of DPM-Solver++ is DDIM (eta = 0) on the same timesteps: the same update in other variables.
    func testFirstOrderDPMSolverIsDDIM() {
        let s = NoiseSchedule(.linear)
        var solver = DPMSolverSampler(schedule: s, inferenceSteps: 10, order: 1)
        var rng = SeededGenerator(seed: 5)
        let x = Tensor.randomNormal([2, 1, 4, 4], using: &rng), eps = Tensor.randomNormal([2, 1, 4, 4], using: &rng)
        let t = solver.timesteps[0], next = solver.timesteps[1]
        let (prev, _) = solver.step(eps: eps, t: t, sample: x, noise: nil)
        let ab = s.alphasCumprod[t], abNext = s.alphasCumprod[next]
        let x0 = (x - eps * (1 - ab).squareRoot()) / ab.squareRoot()
        let ddim = x0 * abNext.squareRoot() + eps * (1 - abNext).squareRoot()
        assertClose(prev, ddim, atol: 1e-5, rtol: 1e-4, "order-1 DPM-Solver++ vs DDIM")
    }

    /// The solver needs its steps in order: a fresh copy starts without history, so order 2 on the first step is order 1.
    func testSecondOrderStartsAsFirstOrder() {
        let s = NoiseSchedule(.cosine)
        var a = DPMSolverSampler(schedule: s, inferenceSteps: 10, order: 1), b = DPMSolverSampler(schedule: s, inferenceSteps: 10, order: 2)
        var rng = SeededGenerator(seed: 6)
        let x = Tensor.randomNormal([1, 1, 4, 4], using: &rng), eps = Tensor.randomNormal([1, 1, 4, 4], using: &rng)
        let t = a.timesteps[0]
        XCTAssertEqual(a.step(eps: eps, t: t, sample: x, noise: nil).prevSample.scalars, b.step(eps: eps, t: t, sample: x, noise: nil).prevSample.scalars)
        // ... but the second step differs once there is a previous x0hat with another value.
        let eps2 = Tensor.randomNormal([1, 1, 4, 4], using: &rng), t2 = a.timesteps[1]
        XCTAssertNotEqual(a.step(eps: eps2, t: t2, sample: x, noise: nil).prevSample.scalars, b.step(eps: eps2, t: t2, sample: x, noise: nil).prevSample.scalars)
    }

    /// As many steps as T: the rounded linspace grid repeats a timestep (T = 10: ..., 4, 4, ...). The solver counts
    /// its steps (it once looked each t up, found the first 4 twice and divided by a zero step width) and takes the
    /// step after a repeat at first order; every sample stays finite and ends on the data.
    func testStepsEqualToTWithARepeatedTimestep() {
        let s = NoiseSchedule(.linear, steps: 10)
        for order in [1, 2] {
            var solver = DPMSolverSampler(schedule: s, inferenceSteps: 10, order: order)
            XCTAssertEqual(solver.timesteps, [9, 8, 7, 6, 5, 4, 4, 3, 2, 1])
            var rng = SeededGenerator(seed: 7)
            let target = Tensor.full([1, 1, 4, 4], 0.5)
            var x = Tensor.randomNormal([1, 1, 4, 4], using: &rng)
            for t in solver.timesteps {
                // The exact eps for data `target`: eps = (x - sqrt(ab) x0) / sqrt(1 - ab).
                let ab = s.alphasCumprod[t]
                let eps = (x - target * ab.squareRoot()) / (1 - ab).squareRoot()
                x = solver.step(eps: eps, t: t, sample: x, noise: nil).prevSample
                XCTAssertTrue(x.scalars.allSatisfy(\.isFinite), "order \(order), t = \(t): \(x.scalars)")
            }
            assertClose(x, target, atol: 1e-4, rtol: 1e-4, "order \(order) ends on the data")
        }
    }

    /// Imagen's dynamic thresholding: s is the 99.5% quantile of |x0hat| (at least 1, at most maxValue); x0hat is
    /// clipped to [-s, s] and divided by s. An image already inside [-1, 1] is unchanged.
    func testDynamicThresholding() {
        // 200 values: 0.01, 0.02, ..., 2.0 (sign alternating). Quantile 0.995 at position 198.005: 1.99 + 0.005 * 0.01.
        let values = (1...200).map { Float($0) / 100 * ($0 % 2 == 0 ? 1 : -1) }
        let x = Tensor(shape: [1, 1, 10, 20], scalars: values)
        let s: Float = 1.99 + 0.005 * 0.01
        let out = X0Processing.dynamic(ratio: 0.995, maxValue: 3).apply(x).scalars
        for (o, v) in zip(out, values) { XCTAssertEqual(o, min(max(v, -s), s) / s, accuracy: 1e-6) }
        XCTAssertEqual(out.map(abs).max()!, 1, accuracy: 1e-6)
        // The ceiling: with maxValue 1.5, s = 1.5.
        let capped = X0Processing.dynamic(ratio: 0.995, maxValue: 1.5).apply(x).scalars
        XCTAssertEqual(capped[199], 1, accuracy: 1e-6)
        XCTAssertEqual(capped[99], 1.0 / 1.5, accuracy: 1e-6)
        // Per image: a second image inside [-1, 1] is left alone (s = max(q, 1) = 1).
        let inside = (0..<200).map { Float($0) / 400 - 0.25 }
        let two = X0Processing.dynamicDefault.apply(Tensor(shape: [2, 1, 10, 20], scalars: values + inside)).scalars
        XCTAssertEqual(Array(two[200...]), inside)
    }

    /// fixedLarge adds noise of variance beta_t, fixedSmall of betatilde_t; the mean is the same.
    func testDDPMFixedLargeVariance() {
        let s = NoiseSchedule(.linear)
        let x = Tensor.full([1, 1, 1, 1], 0.3), eps = Tensor.full([1, 1, 1, 1], 0.1), z = Tensor.full([1, 1, 1, 1], 1)
        let t = 500
        let small = DDPMSampler(schedule: s, variance: .fixedSmall).step(eps: eps, t: t, sample: x, noise: z).prevSample.item
        let large = DDPMSampler(schedule: s, variance: .fixedLarge).step(eps: eps, t: t, sample: x, noise: z).prevSample.item
        let mean = DDPMSampler(schedule: s, variance: .fixedLarge).step(eps: eps, t: t, sample: x, noise: nil).prevSample.item
        XCTAssertEqual(large - mean, s.betas[t].squareRoot(), accuracy: 1e-6)
        XCTAssertEqual(small - mean, s.posteriorVariance[t].squareRoot(), accuracy: 1e-6)
        XCTAssertGreaterThan(s.betas[t], s.posteriorVariance[t])
    }

    func testSamplingSettingsRejectValuesOutOfRange() {
        XCTAssertNoThrow(try SamplingSettings.defaults.validate(timesteps: 1000))
        XCTAssertThrowsError(try SamplingSettings(sampler: .ddim, steps: 150).validate(timesteps: 10)) {
            XCTAssertEqual($0 as? SamplingError, .steps(150, modelTimesteps: 10))
            XCTAssertEqual("\($0)", "steps must be in 1...10 (the model's T), got 150")
        }
        XCTAssertThrowsError(try SamplingSettings(sampler: .dpmSolver, steps: 0).validate(timesteps: 1000))
        // DDPM ignores steps (it visits all T).
        XCTAssertNoThrow(try SamplingSettings(sampler: .ddpm, steps: 5000).validate(timesteps: 10))
        XCTAssertThrowsError(try SamplingSettings(guidance: .nan).validate(timesteps: 1000))
        XCTAssertThrowsError(try SamplingSettings(guidance: -1).validate(timesteps: 1000))
        XCTAssertThrowsError(try SamplingSettings(eta: 2).validate(timesteps: 1000))
        XCTAssertThrowsError(try SamplingSettings(order: 3).validate(timesteps: 1000))
        XCTAssertThrowsError(try SamplingSettings(sampler: .ddim, steps: 11).makeSampler(schedule: NoiseSchedule(.linear, steps: 10)))
    }
}
