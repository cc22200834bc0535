extension Tensor {
    /// Reverse-mode differentiation from this scalar (e.g. a loss): fills the gradients of every leaf
    /// (parameters and `requiringGrad()` inputs) that it depends on. Gradients accumulate across calls
    /// until cleared (`Parameter.zeroGrad()`, `Optimizer.zeroGrad()`).
    ///
    /// The graph is used once: each pullback is dropped right after it runs, so activations are freed as the
    /// backward pass walks from the loss to the inputs (peak memory stays near the forward pass's).
    public func backward() {
        precondition(count == 1, "backward(): needs a scalar loss, got shape \(shape)")
        guard let root = node else {
            preconditionFailure("backward(): this tensor has no autodiff history (made with recording off, or from constants only)")
        }
        // Topological order by iterative depth-first search (a deep U-Net has thousands of nodes; no recursion).
        var order: [AutodiffNode] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(AutodiffNode, Bool)] = [(root, false)]
        while let (node, expanded) = stack.popLast() {
            if expanded { order.append(node); continue }
            guard visited.insert(ObjectIdentifier(node)).inserted else { continue }
            stack.append((node, true))
            for case let parent? in node.parents where !visited.contains(ObjectIdentifier(parent)) {
                stack.append((parent, false))
            }
        }
        root.accumulate(Tensor.ones(shape))
        let profiler = Profiler.current
        profiler?.resetClock()
        withoutGrad {
            // `order` lists every node after its parents, so walking it backwards visits each node only when
            // all the gradient flowing into it has arrived.
            for node in order.reversed() {
                guard let pullback = node.pullback, let grad = node.grad else { continue }
                node.pullback = nil
                if !node.isLeaf { node.grad = nil }
                let inputGrads = pullback(grad)
                profiler?.mark(node.op + ".backward")
                precondition(inputGrads.count == node.parents.count, "autodiff: \(node.op) returned \(inputGrads.count) gradients for \(node.parents.count) inputs")
                for (parent, g) in zip(node.parents, inputGrads) {
                    if let parent, let g { parent.accumulate(g) }
                }
            }
        }
    }
}
