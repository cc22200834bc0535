/// Moving `Tensor`s in and out of safetensors files.
extension SafeTensors {
    /// The named F32 tensor as a `Tensor`.
    public func tensor(_ name: String) throws(SafeTensorsError) -> Tensor {
        let (shape, values) = try floats(name)
        return Tensor(shape: shape, scalars: values)
    }

    /// Stores a tensor (as F32) under `name`.
    public mutating func set(_ name: String, _ tensor: Tensor) {
        set(name, shape: tensor.shape, floats: tensor.scalars)
    }
}
