/// A trainable tensor: a value that optimizers update in place and a gradient that `backward()` fills.
///
/// A layer owns its parameters; forward passes read `value`, a tensor tied to this parameter's autodiff leaf,
/// so the gradient of a loss flows back into `grad`.
public final class Parameter: @unchecked Sendable {
    private let leaf = AutodiffNode(leaf: "parameter")
    private var storage: TensorStorage
    public let shape: [Int]

    public init(_ initial: Tensor) {
        shape = initial.shape
        storage = initial.copy().storage
    }

    /// The current value, tracked by autodiff.
    public var value: Tensor { Tensor(shape: shape, storage: storage, node: leaf) }
    /// d(loss)/d(value) accumulated by `backward()`, or nil before any backward pass.
    public var grad: Tensor? { leaf.grad }
    public var count: Int { storage.count }

    public func zeroGrad() { leaf.clearGrad() }

    /// Overwrites the value with `tensor` (same shape), e.g. when loading a checkpoint.
    public func assign(_ tensor: Tensor) {
        precondition(tensor.shape == shape, "Parameter.assign: shape \(tensor.shape) does not match \(shape)")
        storage.pointer.update(from: tensor.storage.pointer, count: storage.count)
    }

    /// Direct write access for optimizers: `body(value, grad)`. Only call outside any forward/backward pass.
    public func update(_ body: (UnsafeMutableBufferPointer<Float>, UnsafeBufferPointer<Float>?) -> Void) {
        let gradBuffer = leaf.grad.map { UnsafeBufferPointer($0.storage.buffer) }
        body(storage.buffer, gradBuffer)
    }
}
