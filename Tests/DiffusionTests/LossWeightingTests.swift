import XCTest
import TensorCore
@testable import Diffusion

/// Min-SNR-gamma weighting (Hang et al. 2023): w_t = min(SNR_t, gamma) / SNR_t on the epsilon loss.
final class LossWeightingTests: XCTestCase {
    func testWeightIsOneAtHighNoiseAndGammaOverSNRAtLowNoise() {
        let schedule = NoiseSchedule(.linear, steps: 1000)
        let snr = { (t: Int) in schedule.alphasCumprod[t] / (1 - schedule.alphasCumprod[t]) }
        // t = 0: SNR ~ 1e4, far above gamma = 5.
        XCTAssertEqual(DiffusionObjective.minSNRWeight(alphaBar: schedule.alphasCumprod[0], gamma: 5), 5 / snr(0), accuracy: 1e-7)
        XCTAssertLessThan(DiffusionObjective.minSNRWeight(alphaBar: schedule.alphasCumprod[0], gamma: 5), 1e-3)
        // t = 999: SNR ~ 4e-5 < gamma: unweighted.
        XCTAssertEqual(DiffusionObjective.minSNRWeight(alphaBar: schedule.alphasCumprod[999], gamma: 5), 1)
        // The weight never rises as t falls (SNR only grows towards t = 0).
        let w = (0..<1000).map { DiffusionObjective.minSNRWeight(alphaBar: schedule.alphasCumprod[$0], gamma: 5) }
        for t in 1..<1000 { XCTAssertLessThanOrEqual(w[t - 1], w[t] + 1e-7, "t = \(t)") }
    }

    func testHugeGammaIsTheUnweightedLossAndSmallGammaShrinksIt() {
        let training = DiffusionTraining(recipe: TestSupport.tinyRecipe(seed: 1), stepsPerEpoch: 1)
        var rng = SeededGenerator(seed: 4)
        let x0 = Tensor.randomNormal([8, 1, 8, 8], using: &rng)
        let labels = (0..<8).map { $0 % 10 }
        func loss(_ loss: DiffusionObjective.Loss, gamma: Float?) -> Float {
            var objective = training.objective
            objective.loss = loss
            objective.minSNRGamma = gamma
            var rng = SeededGenerator(seed: 7)   // the same t, eps and label drops every time
            return withoutGrad { objective.loss(model: training.session.model, x0: x0, labels: labels, rng: &rng).item }
        }
        for kind in DiffusionObjective.Loss.allCases {
            let plain = loss(kind, gamma: nil)
            XCTAssertEqual(loss(kind, gamma: 1e30), plain, accuracy: 1e-6 * plain, "\(kind): weights of 1")
            XCTAssertLessThan(loss(kind, gamma: 1e-3), 0.1 * plain, "\(kind): every weight is below 1e-3 / SNR_min")
        }
    }
}
