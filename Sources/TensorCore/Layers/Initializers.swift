/// PyTorch's default initialization for Linear and Conv layers (`kaiming_uniform_(a=sqrt(5))`), which works
/// out to U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and biases alike.
func pytorchDefaultInit(_ shape: [Int], fanIn: Int, using rng: inout SeededGenerator) -> Tensor {
    let bound = 1 / Float(fanIn).squareRoot()
    return Tensor.uniform(shape, low: -bound, high: bound, using: &rng)
}
