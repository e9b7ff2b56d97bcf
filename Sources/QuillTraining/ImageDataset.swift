// Labelled image sets from IDX files (MNIST / Fashion-MNIST layout): an images file (N, H, W) of
// bytes and a labels file (N) of class ids, checked against each other and against the class count.
import Foundation
import QuillFormats

/// N square single-channel images of bytes with their labels.
public struct ImageDataset: Sendable {
    /// count · height · width bytes, image after image.
    public let pixels: [UInt8]
    public let labels: [UInt8]
    public let height: Int, width: Int

    public var count: Int { labels.count }
    public var imageBytes: Int { height * width }

    public init(pixels: [UInt8], labels: [UInt8], height: Int, width: Int) throws {
        guard pixels.count == labels.count * height * width else {
            throw TrainingError.invalidConfig("\(pixels.count) pixel bytes for \(labels.count) images of \(height)×\(width)")
        }
        self.pixels = pixels; self.labels = labels; self.height = height; self.width = width
    }

    /// Reads an images file and a labels file; every label must be below `classCount`.
    public init(images: URL, labels: URL, classCount: Int = 10) throws {
        let imageFile = try IDXFile(url: images), labelFile = try IDXFile(url: labels)
        guard imageFile.shape.count == 3 else {
            throw TrainingError.invalidConfig("\(images.lastPathComponent): images must be (count, height, width), got \(imageFile.shape)")
        }
        guard labelFile.shape == [imageFile.shape[0]] else {
            throw TrainingError.invalidConfig("\(labels.lastPathComponent): shape \(labelFile.shape) does not match \(imageFile.shape[0]) images")
        }
        if let bad = labelFile.values.firstIndex(where: { Int($0) >= classCount }) {
            throw TrainingError.invalidConfig("\(labels.lastPathComponent): label \(labelFile.values[bad]) at index \(bad) is not below \(classCount)")
        }
        try self.init(pixels: imageFile.values, labels: labelFile.values, height: imageFile.shape[1], width: imageFile.shape[2])
    }

    /// Fashion-MNIST's (train, test) sets from a directory of its four uncompressed IDX files.
    public static func fashionMNIST(directory: URL) throws -> (train: ImageDataset, test: ImageDataset) {
        func file(_ name: String) throws -> URL {
            let url = directory.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw TrainingError.invalidConfig("\(url.path) is missing (run Scripts/setup/fetch_assets.sh, or gunzip the .gz files)")
            }
            return url
        }
        let train = try ImageDataset(images: file("train-images-idx3-ubyte"), labels: file("train-labels-idx1-ubyte"))
        let test = try ImageDataset(images: file("t10k-images-idx3-ubyte"), labels: file("t10k-labels-idx1-ubyte"))
        return (train, test)
    }

    /// The first `n` images (all when n ≥ count).
    public func prefix(_ n: Int) -> ImageDataset {
        let k = min(n, count)
        // Sizes already agree, so this cannot fail.
        return (try? ImageDataset(pixels: Array(pixels.prefix(k * imageBytes)), labels: Array(labels.prefix(k)),
                                  height: height, width: width)) ?? self
    }

    /// The bytes of the images at `indices`, concatenated, and their labels.
    func batch(_ indices: some Collection<Int>) -> (pixels: [UInt8], labels: [Int32]) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(indices.count * imageBytes)
        for i in indices { bytes += pixels[i * imageBytes ..< (i + 1) * imageBytes] }
        return (bytes, indices.map { Int32(labels[$0]) })
    }
}
