/// Updates parameters from their gradients. `step()` applies one update with the current learning rate;
/// `zeroGrad()` clears the gradients before the next backward pass.
public protocol Optimizer: AnyObject {
    var parameters: [Parameter] { get }
    var learningRate: Float { get set }
    /// Number of `step()` calls so far.
    var stepCount: Int { get }
    func step()
    /// Named tensors that capture the optimizer's internal state (for resumable checkpoints).
    func stateTensors() -> [(String, Tensor)]
    /// Restores what `stateTensors()` returned. Throws `OptimizerStateError` if a tensor is missing or misshaped.
    func loadState(_ tensors: [String: Tensor]) throws
}

extension Optimizer {
    public func zeroGrad() { for p in parameters { p.zeroGrad() } }
}

public struct OptimizerStateError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Looks up a saved state tensor of a given shape, or explains what is wrong.
func stateTensor(_ tensors: [String: Tensor], _ name: String, shape: [Int]) throws -> Tensor {
    guard let t = tensors[name] else { throw OptimizerStateError("optimizer state: missing tensor '\(name)'") }
    guard t.shape == shape else { throw OptimizerStateError("optimizer state: '\(name)' has shape \(t.shape), expected \(shape)") }
    return t
}
