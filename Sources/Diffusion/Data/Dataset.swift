import Foundation

/// The datasets that ship in `Data/`, by the name a command takes (`--dataset mnist`), with their class names
/// for picture labels. Both are 28 x 28 grayscale in MNIST's IDX layout, loaded by `MNIST.load` and checked
/// against their SHA-256 sums.
public enum Dataset: String, Sendable, CaseIterable, Codable {
    case mnist
    case fashionMNIST = "fashion-mnist"

    /// The folder under the package root.
    public var relativePath: String {
        switch self {
        case .mnist: "Data/MNIST"
        case .fashionMNIST: "Data/FashionMNIST"
        }
    }

    public var directory: URL { MNIST.dataDirectory(relativePath) }

    /// Label k's name: "0"..."9" for digits, the clothing names for Fashion-MNIST.
    public var classNames: [String] {
        switch self {
        case .mnist: (0...9).map(String.init)
        case .fashionMNIST: ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
        }
    }

    /// Loads one split.
    public func load(_ split: MNIST.Split) throws -> MNIST { try MNIST.load(split: split, directory: directory) }
}
