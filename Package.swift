// swift-tools-version:6.0
// Quill: a Swift-native LLM stack. Targets are layered as in ../shared/ARCHITECTURE.md:
// lower targets never import higher ones.
import PackageDescription

#if os(Linux)
let blasDependency: [Target.Dependency] = ["CBLAS"]
#else
let blasDependency: [Target.Dependency] = []
#endif

let package = Package(
    name: "Quill",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "quill", targets: ["quill"]),
        .library(name: "Quill", targets: ["QuillTensor", "QuillNN", "QuillTokenizer", "QuillFormats",
                                          "QuillModels", "QuillGeneration", "QuillTraining", "QuillAssistant"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
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
        .target(name: "QuillFormats", dependencies: ["QuillTensor"]),
        .target(name: "QuillModels", dependencies: ["QuillNN", "QuillFormats", "QuillTokenizer"]),
        .target(name: "QuillGeneration", dependencies: ["QuillModels", "QuillTokenizer"]),
        .target(name: "QuillTraining", dependencies: ["QuillModels", "QuillTokenizer", "QuillFormats"]),
        .target(name: "QuillAssistant", dependencies: ["QuillGeneration", "QuillModels", "QuillFormats", "QuillTokenizer"]),
        .executableTarget(name: "quill", dependencies: [
            "QuillTensor", "QuillNN", "QuillTokenizer", "QuillFormats", "QuillModels",
            "QuillGeneration", "QuillTraining", "QuillAssistant",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
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
        .testTarget(name: "QuillAssistantTests", dependencies: ["QuillAssistant"]),
    ],
    swiftLanguageModes: [.v5]
)
