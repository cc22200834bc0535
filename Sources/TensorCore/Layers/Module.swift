/// A layer or model: holds parameters and sub-modules under PyTorch-style names, so that
/// `model.namedParameters()` yields keys like `down_blocks.1.attentions.0.to_q.weight`, exactly the keys of a
/// PyTorch / diffusers `state_dict`. Checkpoints and reference weights then map one to one.
///
/// Conforming types list their own parameters and children; everything else (recursion, dotted names,
/// train/eval mode) comes from the protocol extension.
public protocol Module: AnyObject {
    /// Parameters owned directly by this module, e.g. `[("weight", w), ("bias", b)]`.
    var ownParameters: [(String, Parameter)] { get }
    /// Non-trainable state saved with the model (batch norm's running statistics), e.g. `running_mean`.
    var ownBuffers: [(String, Parameter)] { get }
    /// Direct sub-modules with their names, e.g. `[("conv1", conv1), ("norm1", norm1)]`.
    var children: [(String, any Module)] { get }
    /// Training mode: dropout is active, batch norm uses batch statistics.
    var isTraining: Bool { get set }
}

extension Module {
    public var ownParameters: [(String, Parameter)] { [] }
    public var children: [(String, any Module)] { [] }
    public var ownBuffers: [(String, Parameter)] { [] }

    /// All buffers of this module and its sub-modules, with dotted names.
    public func namedBuffers(prefix: String = "") -> [(name: String, parameter: Parameter)] {
        var result: [(name: String, parameter: Parameter)] = ownBuffers.map { (prefix + $0.0, $0.1) }
        for (name, child) in children {
            result += child.namedBuffers(prefix: prefix + name + ".")
        }
        return result
    }

    /// Parameters and buffers: everything a checkpoint stores, under the names of a PyTorch `state_dict`.
    public func stateDict() -> [(name: String, parameter: Parameter)] { namedParameters() + namedBuffers() }

    /// All parameters of this module and its sub-modules, with dotted names, in definition order.
    public func namedParameters(prefix: String = "") -> [(name: String, parameter: Parameter)] {
        var result: [(name: String, parameter: Parameter)] = ownParameters.map { (prefix + $0.0, $0.1) }
        for (name, child) in children {
            result += child.namedParameters(prefix: prefix + name + ".")
        }
        return result
    }

    public var parameters: [Parameter] { namedParameters().map(\.parameter) }

    /// Total number of trainable scalars.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }

    /// Switches this module and all sub-modules to training (`true`) or evaluation (`false`) mode.
    public func train(_ on: Bool = true) {
        isTraining = on
        for (_, child) in children { child.train(on) }
    }

    public func eval() { train(false) }

    public func zeroGrad() { for p in parameters { p.zeroGrad() } }
}

/// A numbered list of modules, named `0`, `1`, ... like PyTorch's `nn.ModuleList`.
public final class ModuleList<Element: Module>: Module {
    public var items: [Element]
    public var isTraining = true
    public init(_ items: [Element]) { self.items = items }
    public var children: [(String, any Module)] { items.enumerated().map { (String($0.offset), $0.element as any Module) } }
    public subscript(index: Int) -> Element { items[index] }
    public var count: Int { items.count }
}
