// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "swift-char-rnn",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "CharRNN", targets: ["CharRNN"]),
        .executable(name: "rnn-train", targets: ["rnn-train"]),
        .executable(name: "rnn-play", targets: ["rnn-play"]),
        .executable(name: "rnn-inspect", targets: ["rnn-inspect"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // C libraries behind system-library targets; the Swift code never exposes their types.
        .systemLibrary(
            name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(
            name: "CHDF5", path: "Sources/CHDF5", pkgConfig: "hdf5",
            providers: [.apt(["libhdf5-dev"])]),

        // Our own AVX-512 kernels (matrix product, optimizer loops), chosen at run time when the
        // CPU has AVX-512; C because Swift cannot compile one function for another instruction set.
        .target(name: "CKernels"),

        // The model core: cells, sequencer, optimizers, training loop, sampling, checkpoints.
        .target(name: "CharRNN", dependencies: ["COpenBLAS", "CHDF5", "CKernels"]),

        // Option groups and output helpers shared by the three programs.
        .target(
            name: "CommandLineSupport",
            dependencies: ["CharRNN", .product(name: "ArgumentParser", package: "swift-argument-parser")]),

        .executableTarget(name: "rnn-train", dependencies: ["CharRNN", "CommandLineSupport"]),
        .executableTarget(name: "rnn-play", dependencies: ["CharRNN", "CommandLineSupport"]),
        .executableTarget(name: "rnn-inspect", dependencies: ["CharRNN", "CommandLineSupport"]),

        // Benchmarks live under Tools/ and only wire options to the library.
        .executableTarget(
            name: "rnn-bench",
            dependencies: ["CharRNN", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Tools/rnn-bench"),

        .testTarget(name: "CharRNNTests", dependencies: ["CharRNN", "CKernels"]),
        .testTarget(name: "CommandLineSupportTests", dependencies: ["CommandLineSupport"]),
        // End-to-end tests run the built programs (listed so that they are built first).
        .testTarget(name: "ProgramTests", dependencies: ["CharRNN", "rnn-train", "rnn-play", "rnn-inspect"]),
    ]
)
