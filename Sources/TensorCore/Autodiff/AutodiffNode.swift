/// One recorded op in the reverse-mode autodiff graph (or a leaf: a parameter or an input that wants a gradient).
///
/// A node keeps its parents and a *pullback*: given d(loss)/d(output) it returns d(loss)/d(input) for each
/// input. The pullback captures the values it needs (inputs, saved statistics), never the node that owns it:
/// a closure capturing its own output node would form a reference cycle and the graph would never be freed.
final class AutodiffNode {
    let op: String
    /// One entry per op input; nil for inputs that need no gradient (data, constants).
    let parents: [AutodiffNode?]
    /// d(loss)/d(output) -> [d(loss)/d(input_i)], aligned with `parents`. Set to nil once used (frees memory).
    var pullback: ((Tensor) -> [Tensor?])?
    /// The gradient accumulated so far. Leaves keep it after `backward()`; inner nodes drop it once used.
    var grad: Tensor?
    /// True when `grad`'s storage was allocated here (so adding into it in place is safe).
    private var ownsGrad = false
    let isLeaf: Bool

    init(op: String, parents: [AutodiffNode?], pullback: @escaping (Tensor) -> [Tensor?]) {
        self.op = op
        self.parents = parents
        self.pullback = pullback
        self.isLeaf = false
    }

    init(leaf name: String) {
        op = name
        parents = []
        pullback = nil
        isLeaf = true
    }

    /// grad += g. The first gradient is kept as is (it may be shared with another node, so it is never written);
    /// the second allocates the sum, which this node then owns and adds later gradients into in place.
    func accumulate(_ g: Tensor) {
        guard let current = grad else { grad = g.detached; ownsGrad = false; return }
        precondition(current.shape == g.shape, "autodiff: gradient shape \(g.shape) does not match \(current.shape) in \(op)")
        let src = g.storage.pointer
        if ownsGrad {
            let dst = current.storage.pointer
            Parallel.forEachChunk(current.count) { range in
                for i in range { dst[i] += src[i] }
            }
        } else {
            grad = broadcastBinary(current, g, AddOp.self)
            ownsGrad = true
        }
    }

    /// Forgets the gradient (used by `Parameter.zeroGrad()`).
    func clearGrad() { grad = nil; ownsGrad = false }
}

extension Tensor {
    /// Attaches a node to `output` when recording is on and any input is tracked; otherwise returns it as is.
    /// Every differentiable op ends with this call: its forward above, its pullback (the gradient rule) here.
    static func record(_ op: String, inputs: [Tensor], output: Tensor, pullback: @escaping (Tensor) -> [Tensor?]) -> Tensor {
        Profiler.current?.mark(op)
        guard GradMode.isEnabled, inputs.contains(where: { $0.node != nil }) else { return output }
        let node = AutodiffNode(op: op, parents: inputs.map(\.node), pullback: pullback)
        return Tensor(shape: output.shape, storage: output.storage, node: node)
    }
}
