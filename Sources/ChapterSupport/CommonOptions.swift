import ArgumentParser
import Diffusion
import Foundation

/// Options every chapter's `train` shares.
public struct CommonOptions: ParsableArguments {
    @Option(help: "Random seed: the same seed gives the same run.")
    public var seed: UInt64 = 0

    @Option(help: "Directory for pictures, logs and checkpoints.")
    public var output: String?

    @Option(help: "Shipped dataset: mnist or fashion-mnist (Data/).")
    public var dataset: Dataset = .mnist

    @Option(help: "Directory with the four MNIST-format IDX files (.gz or not), or with CIFAR-10's binary batches (data_batch_1.bin ... test_batch.bin, color 32x32); overrides --dataset.")
    public var data: String?

    @Option(help: "Train on only the first N training images (quick experiments).")
    public var limit: Int?

    public init() {}

    public func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1, got \(limit)") }
    }

    /// The output directory, created if needed.
    public func outputDirectory(default name: String) throws -> URL {
        let url = URL(fileURLWithPath: output ?? "runs/\(name)", isDirectory: true)
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw ValidationError("cannot create the output directory \(url.path): \(error.localizedDescription)")
        }
        return url
    }

    /// Loads a split of `--dataset` (or the directory in `--data`: IDX files, or CIFAR-10's binary batches).
    public func loadData(_ split: MNIST.Split) throws -> MNIST {
        let directory = data.map { URL(fileURLWithPath: $0, isDirectory: true) } ?? dataset.directory
        if CIFAR10.isCIFAR(directory) { return try CIFAR10.load(split: split, directory: directory) }
        return try MNIST.load(split: split, directory: directory)
    }

    /// The names of the classes, for picture labels.
    public var classNames: [String] {
        if let data, CIFAR10.isCIFAR(URL(fileURLWithPath: data, isDirectory: true)) { return CIFAR10.classNames }
        return dataset.classNames
    }
}

extension Dataset: ExpressibleByArgument {}

/// Writes a file and says so.
public func report(_ what: String, _ url: URL) {
    print("  wrote \(what): \(url.relativePath)")
}

/// Formats a float for tables.
public func fmt(_ value: Double, _ digits: Int = 4) -> String { String(format: "%.\(digits)f", value) }
public func fmt(_ value: Float, _ digits: Int = 4) -> String { fmt(Double(value), digits) }

/// Writes a PNG into `directory` and reports it as `what`.
public func writeImage(_ image: GrayImage, _ directory: URL, _ name: String, _ what: String) throws {
    let url = directory.appendingPathComponent(name)
    try image.writePNG(to: url)
    report(what, url)
}

/// Writes a color PNG into `directory` and reports it as `what`.
public func writeImage(_ image: RGBImage, _ directory: URL, _ name: String, _ what: String) throws {
    let url = directory.appendingPathComponent(name)
    try image.writePNG(to: url)
    report(what, url)
}
