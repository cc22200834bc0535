import XCTest
@testable import TensorCore

/// Finite-difference gradient checking.
///
/// For an op f and fixed random weights R, the scalar L(x) = sum(f(x) * R) has gradient dL/dx = f'(x)^T R.
/// We compare autodiff's dL/dx with the central difference (L(x + h e_i) - L(x - h e_i)) / 2h for every
/// element i of every input. L is accumulated in Double so that rounding does not swamp the difference.
/// Random R (not all ones) makes a wrong sign, a missing term or a transposed index show up.
struct GradientChecker {
    var h: Float = 1e-2
    var absTolerance: Float = 2e-3
    var relTolerance: Float = 2e-2

    /// Asserts that every input's gradient matches finite differences.
    func check(_ name: String, inputs: [Tensor], seed: UInt64 = 7, file: StaticString = #filePath, line: UInt = #line,
               _ f: ([Tensor]) -> Tensor) {
        if let mismatch = firstMismatch(name, inputs: inputs, seed: seed, f) {
            XCTFail(mismatch, file: file, line: line)
        }
    }

    /// The first gradient element that disagrees with finite differences, described, or nil if all agree.
    func firstMismatch(_ name: String, inputs: [Tensor], seed: UInt64 = 7, _ f: ([Tensor]) -> Tensor) -> String? {
        var rng = SeededGenerator(seed: seed)
        let probe = withoutGrad { f(inputs) }
        let weights = Tensor.randomNormal(probe.shape, using: &rng)

        func loss(_ xs: [Tensor]) -> Double {
            let y = withoutGrad { f(xs) }
            return zip(y.scalars, weights.scalars).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }

        let tracked = inputs.map { $0.requiringGrad() }
        (f(tracked) * weights).sum().backward()

        for (index, input) in inputs.enumerated() {
            guard let analytic = tracked[index].gradient?.scalars else {
                return "\(name): input \(index) got no gradient"
            }
            var values = input.scalars
            for i in 0..<values.count {
                let saved = values[i]
                values[i] = saved + h
                var plus = inputs; plus[index] = Tensor(shape: input.shape, scalars: values)
                values[i] = saved - h
                var minus = inputs; minus[index] = Tensor(shape: input.shape, scalars: values)
                values[i] = saved
                let numeric = Float((loss(plus) - loss(minus)) / Double(2 * h))
                let err = abs(numeric - analytic[i])
                if err > absTolerance + relTolerance * abs(numeric) {
                    return "\(name): d/dinput\(index)[\(i)] autodiff \(analytic[i]) vs finite difference \(numeric)"
                }
            }
        }
        return nil
    }
}

func randomTensor(_ shape: [Int], seed: UInt64, low: Float = -1, high: Float = 1) -> Tensor {
    var rng = SeededGenerator(seed: seed)
    return Tensor.uniform(shape, low: low, high: high, using: &rng)
}
