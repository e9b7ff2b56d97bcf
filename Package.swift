// swift-tools-version:6.0
// Quill: a Swift-native LLM stack. Targets are layered as in ../shared/ARCHITECTURE.md:
// lower targets never import higher ones.
import PackageDescription
import Foundation

#if os(Linux)
let blasDependency: [Target.Dependency] = ["CBLAS"]
#else
let blasDependency: [Target.Dependency] = []
#endif

/// Open MPI is optional at build time: data-parallel training (`--distributed mpi`) is built in when
/// pkg-config finds `ompi-c` (Debian: libopenmpi-dev), unless QUILL_MPI=0. Installing it later needs
/// a touch of this file so SwiftPM evaluates the manifest again.
let openMPI: Bool = {
    #if os(Linux)
    if ProcessInfo.processInfo.environment["QUILL_MPI"] == "0" { return false }
    let probe = Process()
    probe.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    probe.arguments = ["pkg-config", "--exists", "ompi-c"]
    probe.standardOutput = FileHandle.nullDevice
    probe.standardError = FileHandle.nullDevice
    guard (try? probe.run()) != nil else { return false }
    probe.waitUntilExit()
    return probe.terminationStatus == 0
    #else
    return false
    #endif
}()
let mpiTargets: [Target] = openMPI
    ? [.systemLibrary(name: "CMPI", path: "Sources/CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev"])])]
    : []
let mpiDependency: [Target.Dependency] = openMPI ? ["CMPI"] : []
let mpiSettings: [SwiftSetting] = openMPI ? [.define("QUILL_MPI")] : []

let package = Package(
    name: "Quill",
    platforms: [.macOS(.v14)],                       // Hummingbird 2 needs macOS 14
    products: [
        // The executable target is QuillCLI (macOS file systems are case-insensitive, so a `quill`
        // module beside `Quill` clashes); the product, and so the binary, is still `quill`.
        .executable(name: "quill", targets: ["QuillCLI"]),
        .library(name: "Quill", targets: ["Quill"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        // Already Hummingbird's own dependencies; named so QuillServer may import them directly.
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        // SQLite (system libsqlite3, FTS5 enabled) for the RAG index and the assistant's stores.
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        // OpenBLAS on Linux (found with pkg-config); Accelerate is used directly on macOS.
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        // Hot loops BLAS has no routine for (softmax, layer norm, GELU, AdamW, ...), compiled at -O3
        // with per-function ISA clones (AVX-512 / AVX2 / baseline) chosen at load time.
        .target(name: "CQuillKernels", path: "Sources/CQuillKernels",
                cSettings: [.unsafeFlags(["-O3", "-fno-math-errno"])]),
        .target(name: "QuillTensor", dependencies: blasDependency + ["CQuillKernels"]),
        .target(name: "QuillNN", dependencies: ["QuillTensor"]),
        .target(name: "QuillTokenizer"),
        .target(name: "QuillFormats", dependencies: ["QuillTensor", "CQuillKernels"]),
        .target(name: "QuillModels", dependencies: ["QuillNN", "QuillFormats", "QuillTokenizer"]),
        .target(name: "QuillGeneration", dependencies: ["QuillModels", "QuillTokenizer"]),
        .target(name: "QuillTraining", dependencies: ["QuillModels", "QuillTokenizer", "QuillFormats"] + mpiDependency,
                swiftSettings: mpiSettings),
        .target(name: "QuillAssistant", dependencies: [
            "QuillGeneration", "QuillModels", "QuillFormats", "QuillTokenizer", "QuillTensor",
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .target(name: "QuillServer", dependencies: [
            "QuillAssistant", "QuillGeneration", "QuillModels", "QuillTokenizer",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "NIOCore", package: "swift-nio"),
        ]),
        // `import Quill`: every layer re-exported, plus the concurrency-safe `ModelContainer`.
        .target(name: "Quill", dependencies: [
            "QuillTensor", "QuillNN", "QuillTokenizer", "QuillFormats", "QuillModels",
            "QuillGeneration", "QuillTraining", "QuillAssistant", "QuillServer",
        ], path: "Sources/QuillLibrary"),
        .executableTarget(name: "QuillCLI", dependencies: [
            "QuillTensor", "QuillNN", "QuillTokenizer", "QuillFormats", "QuillModels",
            "QuillGeneration", "QuillTraining", "QuillAssistant", "QuillServer",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], path: "Sources/quill"),
        .target(name: "TestSupport", dependencies: ["QuillTensor", "QuillFormats"], path: "Sources/TestSupport"),
        .testTarget(name: "QuillTensorTests", dependencies: ["QuillTensor", "TestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "QuillTokenizerTests", dependencies: ["QuillTokenizer"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "QuillFormatsTests", dependencies: ["QuillFormats", "TestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "QuillModelsTests", dependencies: ["QuillModels", "TestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "QuillTrainingTests", dependencies: ["QuillTraining", "TestSupport"]),
        .testTarget(name: "QuillGenerationTests", dependencies: ["QuillGeneration", "TestSupport"]),
        .testTarget(name: "QuillAssistantTests", dependencies: [
            "QuillAssistant", "QuillModels", "QuillFormats", "QuillTensor", "TestSupport",
            .product(name: "GRDB", package: "GRDB.swift"),
        ], resources: [.copy("Fixtures")]),
        .testTarget(name: "QuillTests", dependencies: ["Quill", "TestSupport"]),
        .testTarget(name: "QuillServerTests", dependencies: [
            "QuillServer", "Quill", "QuillFormats", "TestSupport",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
        ]),
    ] + mpiTargets,
    swiftLanguageModes: [.v5]
)
