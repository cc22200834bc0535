import TensorCore

/// What every chapter's network is: a function of a noisy image batch, the timestep of each image, and
/// (for the conditional model) the class each image should be.
///   x: `[N, 1, 28, 28]`, timesteps: N values, classLabels: N class indices or nil -> `[N, 1, 28, 28]`.
public protocol DenoisingModel: Module {
    func callAsFunction(_ x: Tensor, timesteps: [Float], classLabels: [Int]?) -> Tensor
}
