// swift-tools-version: 5.4
// Coverage-guided libFuzzer targets for every parser of the root package. Build with scripts/fuzz.sh, which
// passes `-sanitize=fuzzer,address -parse-as-library` (see Fuzz/README.md): libFuzzer provides `main`.
//
// Tools version 5.4 on purpose: from 5.5 on, SwiftPM links executables with `--defsym main=<Target>_main` (so
// that tests can import them), and with `-parse-as-library` there is no such symbol. The entry points are
// `LLVMFuzzerTestOneInput` functions instead, as in swift-protobuf's FuzzTesting.
import PackageDescription

let package = Package(
    name: "DiffusionFuzz",
    platforms: [.macOS("14.0")],
    dependencies: [
        // The root package; `name:` keeps `package:` below independent of the clone's directory name.
        .package(name: "DiffusionFromScratch", path: ".."),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.81.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.24.0"),
    ],
    targets: [
        .executableTarget(
            name: "FuzzSafeTensors",
            dependencies: [.product(name: "TensorCore", package: "DiffusionFromScratch")]),
        .executableTarget(
            name: "FuzzIDX",
            dependencies: [.product(name: "Diffusion", package: "DiffusionFromScratch")]),
        .executableTarget(
            name: "FuzzGzip",
            dependencies: [.product(name: "Diffusion", package: "DiffusionFromScratch")]),
        .executableTarget(
            name: "FuzzPNG",
            dependencies: [.product(name: "Diffusion", package: "DiffusionFromScratch")]),
        // The root package exports no `DigitServer` product, so this target compiles the library's own sources
        // (Sources/FuzzDigitRequest/DigitServer is a symlink to ../../../Sources/DigitServer) next to the entry
        // point, and calls the internal `DigitRequest` parser directly.
        .executableTarget(
            name: "FuzzDigitRequest",
            dependencies: [
                .product(name: "Diffusion", package: "DiffusionFromScratch"),
                .product(name: "TensorCore", package: "DiffusionFromScratch"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ]),
    ]
)
