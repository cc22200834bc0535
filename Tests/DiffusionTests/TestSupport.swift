import Foundation
import XCTest
@testable import Diffusion

/// Paths and scratch directories shared by the Diffusion tests.
enum TestSupport {
    /// The package root, found from this file's location (Tests/DiffusionTests/TestSupport.swift).
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// `Data/MNIST` of this repository.
    static let mnistDirectory = packageRoot.appendingPathComponent("Data/MNIST")

    /// The tests' tiny class-conditional UNet2DModel (channels 8 and 16, one layer per block, attention at the
    /// lower level, GroupNorm 4; 11 class embeddings: 10 classes and the null class), T = 100, batches of 8.
    static func tinyRecipe(channels: [Int] = [8, 16], classes: Int? = 11, seed: UInt64 = 0) -> DiffusionRecipe {
        var r = DiffusionRecipe()
        r.model.blockOutChannels = channels
        r.model.layersPerBlock = 1
        r.model.downBlockTypes = [.down, .attnDown]
        r.model.upBlockTypes = [.attnUp, .up]
        r.model.normNumGroups = 4
        r.model.numClassEmbeds = classes
        r.timesteps = 100
        r.batchSize = 8
        r.seed = seed
        return r
    }

    /// A new empty directory under the system temporary directory, named `name` at its last component
    /// (so `"MNIST"` selects the built-in MNIST checksums). Removed by the returned cleanup closure.
    static func scratchDirectory(named name: String = "scratch") throws -> URL {
        let parent = FileManager.default.temporaryDirectory.appendingPathComponent("diffusion-tests-\(UUID().uuidString)")
        let directory = parent.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    /// Removes a directory made by ``scratchDirectory(named:)`` with its parent.
    static func remove(_ directory: URL) {
        try? FileManager.default.removeItem(at: directory.deletingLastPathComponent())
    }

    /// The error thrown by `body` cast to `E`, failing the test if there is none or it has another type.
    static func error<E: Error>(_ type: E.Type, file: StaticString = #filePath, line: UInt = #line,
                                _ body: () throws -> Void) -> E? {
        do {
            try body()
            XCTFail("expected \(E.self), nothing was thrown", file: file, line: line)
        } catch let error as E {
            return error
        } catch {
            XCTFail("expected \(E.self), got \(Swift.type(of: error)): \(error)", file: file, line: line)
        }
        return nil
    }

    /// An IDX file of unsigned bytes with the given dimensions and data.
    static func idx(dimensions: [UInt32], data: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = [0, 0, 0x08, UInt8(dimensions.count)]
        for d in dimensions { bytes += [UInt8(d >> 24), UInt8(d >> 16 & 0xff), UInt8(d >> 8 & 0xff), UInt8(d & 0xff)] }
        return bytes + data
    }

    /// gzip of `idx(dimensions: [2, 3, 3], data: 0..<18)`, made with Python's gzip module.
    static let smallGzip: [UInt8] = [
        0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0x63, 0x60, 0xe0, 0x60, 0x66, 0x60, 0x60, 0x60,
        0x02, 0x62, 0x66, 0x30, 0x66, 0x64, 0x62, 0x66, 0x61, 0x65, 0x63, 0xe7, 0xe0, 0xe4, 0xe2, 0xe6, 0xe1, 0xe5,
        0xe3, 0x17, 0x10, 0x04, 0x00, 0xd3, 0x58, 0x08, 0x02, 0x22, 0x00, 0x00, 0x00,
    ]
}
