import Foundation

/// Files that ship in the repository (trained weights), found from the working directory or, when run from
/// elsewhere, from the package root this binary was built in.
public enum ShippedFiles {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The conditional diffusion model trained for chapter 4.
    public static let conditionalModel = "Checkpoints/conditional.safetensors"
    /// The chapter 4 model fine-tuned on Fashion-MNIST in chapter 5.
    public static let fashionModel = "Checkpoints/fashion.safetensors"
    /// The MNIST classifier used to score generated digits.
    public static let classifier = "Checkpoints/mnist-classifier.safetensors"
    /// The Fashion-MNIST classifier (same architecture), for scoring generated clothing.
    public static let fashionClassifier = "Checkpoints/fashion-classifier.safetensors"
    /// The noise-aware MNIST classifier p(c | x_t, t) of chapter 6 (classifier guidance).
    public static let noisyClassifier = "Checkpoints/noisy-classifier.safetensors"

    /// `path` as given if it exists (or is absolute), else the same relative path under the package root.
    public static func resolve(_ path: String) -> URL {
        let direct = URL(fileURLWithPath: path)
        if path.hasPrefix("/") || FileManager.default.fileExists(atPath: direct.path) { return direct }
        let fromRoot = packageRoot.appendingPathComponent(path)
        return FileManager.default.fileExists(atPath: fromRoot.path) ? fromRoot : direct
    }
}
