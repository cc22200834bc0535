import Foundation
import XCTest
import TensorCore
@testable import Diffusion

/// The shipped Fashion-MNIST classifier is a real one: on 1,000 test items it reads about 91% right (its recorded
/// test accuracy is 90.97%), and digits, which it never saw, it cannot sort into the classes of MNIST.
final class ShippedClassifierTests: XCTestCase {
    func classifier(_ name: String) throws -> MNISTClassifier {
        let url = TestSupport.packageRoot.appendingPathComponent("Checkpoints/\(name)")
        var rng = SeededGenerator(seed: 0)
        let c = MNISTClassifier(random: nil, rng: &rng)
        try c.load(from: try SafeTensors.read(contentsOf: url))
        return c
    }

    func accuracy(_ c: MNISTClassifier, _ data: MNIST, _ n: Int) -> Double {
        let (x, labels) = data.batch(Array(0..<n), range: .minusOneToOne)
        return Double(zip(c.predict(x), labels).filter { $0 == $1 }.count) / Double(n)
    }

    func testFashionClassifierReadsClothingNotDigits() throws {
        let c = try classifier("fashion-classifier.safetensors")
        let fashion = try Dataset.fashionMNIST.load(.test), digits = try Dataset.mnist.load(.test)
        XCTAssertGreaterThan(accuracy(c, fashion, 1000), 0.87)
        XCTAssertLessThan(accuracy(c, digits, 1000), 0.3, "digit k is not clothing class k")
    }
}
