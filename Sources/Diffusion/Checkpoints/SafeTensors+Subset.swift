import TensorCore

extension SafeTensors {
    /// The tensors whose names start with `prefix`, with the prefix removed.
    public func subset(prefix: String) -> SafeTensors {
        var out = SafeTensors()
        out.source = source
        out.metadata = metadata
        for name in names where name.hasPrefix(prefix) {
            if let entry = self[name] { out.set(String(name.dropFirst(prefix.count)), entry) }
        }
        return out
    }
}
