import Foundation

/// A float32 tensor: a shape and contiguous row-major storage, plus (when it takes part in a recorded
/// computation) the autodiff node that knows how to send gradients back to its inputs.
///
/// `Tensor` is a value type: ops never modify their inputs, they return new tensors.
public struct Tensor: @unchecked Sendable {
    /// The sizes of the axes, e.g. `[N, C, H, W]` for a batch of images.
    public let shape: [Int]
    /// The elements, row-major.
    public let storage: TensorStorage
    /// Non-nil when this tensor was produced by a recorded op or is a leaf that wants a gradient.
    let node: AutodiffNode?

    init(shape: [Int], storage: TensorStorage, node: AutodiffNode?) {
        precondition(storage.count == elementCount(shape), "Tensor: shape \(shape) needs \(elementCount(shape)) elements, storage has \(storage.count)")
        self.shape = shape
        self.storage = storage
        self.node = node
    }

    /// A tensor of the given shape whose elements are written by `fill` (which must write every element).
    public init(shape: [Int], fill: (UnsafeMutableBufferPointer<Float>) -> Void) {
        let storage = TensorStorage(count: elementCount(shape))
        fill(storage.buffer)
        self.init(shape: shape, storage: storage, node: nil)
    }

    /// A tensor from explicit values; `scalars.count` must equal the product of `shape`.
    public init(shape: [Int], scalars: [Float]) {
        precondition(scalars.count == elementCount(shape), "Tensor(shape: \(shape)): got \(scalars.count) scalars, need \(elementCount(shape))")
        self.init(shape: shape) { buffer in _ = buffer.initialize(from: scalars) }
    }

    /// A 0-d tensor holding one value.
    public init(_ value: Float) { self.init(shape: [], scalars: [value]) }

    public static func zeros(_ shape: [Int]) -> Tensor {
        Tensor(shape: shape, storage: TensorStorage(count: elementCount(shape), zeroed: true), node: nil)
    }
    public static func ones(_ shape: [Int]) -> Tensor { full(shape, 1) }
    public static func full(_ shape: [Int], _ value: Float) -> Tensor {
        Tensor(shape: shape) { $0.initialize(repeating: value) }
    }

    /// Number of elements.
    @inlinable public var count: Int { storage.count }
    @inlinable public var rank: Int { shape.count }
    /// The elements as an array (a copy).
    public var scalars: [Float] { Array(UnsafeBufferPointer(start: storage.pointer, count: count)) }
    /// The single value of a one-element tensor.
    public var item: Float {
        precondition(count == 1, "item: tensor of shape \(shape) has \(count) elements, not 1")
        return storage.pointer[0]
    }

    /// Read-only access to the elements.
    @inlinable public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(storage.buffer))
    }

    /// The same values with no autodiff history: gradients stop here.
    public var detached: Tensor { Tensor(shape: shape, storage: storage, node: nil) }

    /// True when ops on this tensor are recorded for `backward()`.
    public var requiresGrad: Bool { node != nil }

    /// A leaf that collects a gradient: after `loss.backward()`, read it with `gradient`.
    public func requiringGrad() -> Tensor {
        Tensor(shape: shape, storage: storage, node: AutodiffNode(leaf: "input"))
    }

    /// The gradient accumulated into this leaf by `backward()`, or nil.
    public var gradient: Tensor? { node?.grad }

    /// A deep copy with fresh storage and no history.
    public func copy() -> Tensor {
        Tensor(shape: shape) { out in _ = out.initialize(from: UnsafeBufferPointer(storage.buffer)) }
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let preview = scalars.prefix(8).map { String(format: "%.4g", Double($0)) }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(preview)\(count > 8 ? ", ..." : "")])"
    }
}
