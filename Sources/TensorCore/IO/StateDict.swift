/// Saving and loading a module's parameters and buffers by their PyTorch-style names.

/// What can go wrong when a file's tensors do not fit a model. The description names the tensor and file.
public enum StateDictError: Error, CustomStringConvertible, Equatable {
    case missing(name: String, source: String)
    case unexpected(name: String, source: String)
    case shapeMismatch(name: String, expected: [Int], found: [Int], source: String)
    case unreadable(name: String, source: String, reason: String)

    public var description: String {
        switch self {
        case let .missing(name, source): "\(source): tensor '\(name)' is missing (the model has it, the file does not)"
        case let .unexpected(name, source): "\(source): unexpected tensor '\(name)' (the file has it, the model does not)"
        case let .shapeMismatch(name, expected, found, source): "\(source): tensor '\(name)' has shape \(found), the model expects \(expected)"
        case let .unreadable(name, source, reason): "\(source): tensor '\(name)' cannot be read: \(reason)"
        }
    }
}

extension Module {
    /// Every parameter and buffer as a safetensors set, keyed like a PyTorch `state_dict`.
    public func stateDictFile() -> SafeTensors {
        var file = SafeTensors()
        for (name, p) in stateDict() { file.set(name, p.value) }
        return file
    }

    /// Loads parameters and buffers from `file`, whose keys (after removing `prefix`) must be exactly this
    /// model's: a missing, unexpected or misshaped tensor is an error naming it, and nothing is changed.
    /// Keys that do not start with `prefix` are ignored (a checkpoint can hold other things beside the model).
    public func load(from file: SafeTensors, prefix: String = "") throws(StateDictError) {
        let own = stateDict()
        let ownNames = Set(own.map(\.name))
        for name in file.names where name.hasPrefix(prefix) && !ownNames.contains(String(name.dropFirst(prefix.count))) {
            throw .unexpected(name: name, source: file.source)
        }
        var values: [(Parameter, Tensor)] = []
        for (name, parameter) in own {
            guard let entry = file[prefix + name] else { throw .missing(name: prefix + name, source: file.source) }
            guard entry.shape == parameter.shape else {
                throw .shapeMismatch(name: prefix + name, expected: parameter.shape, found: entry.shape, source: file.source)
            }
            do { values.append((parameter, try file.tensor(prefix + name))) } catch {
                throw .unreadable(name: prefix + name, source: file.source, reason: error.description)
            }
        }
        for (parameter, value) in values { parameter.assign(value) }
    }
}
