// swift-tools-version: 6.0
// Diffusion from Scratch in Swift: a tensor/autodiff core (TensorCore), the diffusion library built on it
// (Diffusion), and one executable per chapter of the learning path.
import PackageDescription

// Hot kernels use SIMD16<Float> fused multiply-add. Without a target CPU the compiler lowers those to libm
// calls and the code runs ~100x slower (see Chapters/A1-Core.md). `-O` keeps the core fast even in the
// debug builds `swift test` uses.
let fast: [SwiftSetting] = [.unsafeFlags(["-O", "-target-cpu", "native"])]

let package = Package(
    name: "DiffusionFromScratch",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "TensorCore", targets: ["TensorCore"]),
        .library(name: "Diffusion", targets: ["Diffusion"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.0.0"..<"5.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        // Already in Hummingbird's graph; named for the service's channel handler (MalformedRequestHandler).
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.81.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.24.0"),
    ],
    targets: [
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"]), .brew(["libpng"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CGIF", pkgConfig: "libgif", providers: [.apt(["libgif-dev"]), .brew(["giflib"])]),
        .target(name: "TensorCore", swiftSettings: fast),
        .target(
            name: "Diffusion",
            dependencies: ["TensorCore", "CPNG", "CZlib", "CGIF", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: fast),
        // What the chapter executables share: common options, the run directory, reporting.
        .target(
            name: "ChapterSupport",
            dependencies: ["TensorCore", "Diffusion", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "Basic", dependencies: ["ChapterSupport"]),
        .executableTarget(name: "UNet2D", dependencies: ["ChapterSupport"]),
        .executableTarget(name: "DDPM", dependencies: ["ChapterSupport"]),
        // The deployed model: a web page and an HTTP API that draw the digit you ask for.
        .target(
            name: "DigitServer",
            dependencies: ["Diffusion", "TensorCore", .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
                           .product(name: "NIOHTTPTypes", package: "swift-nio-extras")]),
        .executableTarget(name: "Conditional", dependencies: ["ChapterSupport", "DigitServer"]),
        // Chapter 5: fine-tuning a trained model on new data (Fashion-MNIST).
        .executableTarget(name: "FineTuning", dependencies: ["ChapterSupport"]),
        // Chapter 6: steering a trained model with a loss or a classifier, and editing (SDEdit, DDIM inversion, inpainting).
        .executableTarget(name: "Guidance", dependencies: ["ChapterSupport"]),
        .executableTarget(
            name: "Benchmarks",
            dependencies: ["TensorCore", "Diffusion", "ChapterSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: fast),
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore"]),
        .testTarget(name: "DiffusionTests", dependencies: ["Diffusion", "TensorCore"]),
        // Runs the chapter executables with bad input: a clear message and a non-zero exit, never a crash.
        .testTarget(name: "CLITests", dependencies: ["Basic", "UNet2D", "DDPM", "Conditional", "FineTuning", "Guidance", "TensorCore"]),
        .testTarget(
            name: "DigitServerTests",
            dependencies: ["DigitServer", "Diffusion", "TensorCore", .product(name: "HummingbirdTesting", package: "hummingbird")]),
    ]
)
