import Foundation
import XCTest
import TensorCore

/// The reference tensors (made by PyTorch and diffusers; see Tests/Reference/MANIFEST.md), shipped with the tests.
enum ReferenceFiles {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Reference")

    static func load(_ name: String) throws -> SafeTensors {
        try SafeTensors.read(contentsOf: directory.appendingPathComponent(name))
    }
}

/// Asserts |actual - expected| <= atol + rtol |expected| elementwise (the MANIFEST's float32 tolerance),
/// reporting the worst element.
func assertClose(_ actual: Tensor, _ expected: Tensor, atol: Float = 1e-4, rtol: Float = 1e-3, _ what: String,
                 file: StaticString = #filePath, line: UInt = #line) {
    guard actual.shape == expected.shape else {
        XCTFail("\(what): shape \(actual.shape) != expected \(expected.shape)", file: file, line: line)
        return
    }
    let a = actual.scalars, e = expected.scalars
    var worst = -1, worstExcess: Float = 0
    for i in 0..<a.count {
        let excess = abs(a[i] - e[i]) - (atol + rtol * abs(e[i]))
        if !(excess <= 0) && (worst < 0 || excess > worstExcess || excess.isNaN) { worst = i; worstExcess = excess }
    }
    if worst >= 0 {
        XCTFail("\(what): element \(worst) is \(a[worst]), expected \(e[worst])", file: file, line: line)
    }
}
