import Diffusion
import XCTest

final class ImageGridTests: XCTestCase {
    func testDimensionsAndPixels() {
        // Five 4x4 images: image k is filled with value -1 + k/2 (so -1, -0.5, 0, 0.5, 1).
        let images = (0..<5).flatMap { k in [Float](repeating: -1 + Float(k) / 2, count: 16) }
        let grid = ImageGrid.make(images: images, count: 5, height: 4, width: 4, columns: 3, range: -1...1,
                                  scale: 2, padding: 1, background: 77)
        XCTAssertEqual(grid.width, 1 + 3 * (8 + 1))
        XCTAssertEqual(grid.height, 1 + 2 * (8 + 1))
        XCTAssertEqual(grid[0, 0], 77)
        XCTAssertEqual(grid[1, 1], 0)                      // image 0, top-left
        XCTAssertEqual(grid[8, 8], 0)                      // image 0, bottom-right (scaled)
        XCTAssertEqual(grid[9, 1], 77)                     // padding between images
        XCTAssertEqual(grid[10, 1], 64)                    // image 1: -0.5 -> 63.75 -> 64
        XCTAssertEqual(grid[19, 1], 128)                   // image 2: 0 -> 127.5 -> 128
        XCTAssertEqual(grid[1, 10], 191)                   // image 3, second row
        XCTAssertEqual(grid[10, 17], 255)                  // image 4
        XCTAssertEqual(grid[20, 12], 77)                   // empty sixth cell
    }

    func testNearestUpscaleKeepsPixels() {
        let image: [Float] = [0, 1, 1, 0]  // 2x2 checkerboard
        let grid = ImageGrid.make(images: image, count: 1, height: 2, width: 2, columns: 1, range: 0...1,
                                  scale: 3, padding: 0)
        XCTAssertEqual(grid.width, 6)
        XCTAssertEqual(grid.pixels.prefix(6), [0, 0, 0, 255, 255, 255])
        XCTAssertEqual(grid[5, 5], 0)
        XCTAssertEqual(grid[0, 5], 255)
    }

    func testLabelsAddMarginsAndInk() {
        let images = [Float](repeating: 0, count: 4 * 9)
        let plain = ImageGrid.make(images: images, count: 4, height: 3, width: 3, columns: 2, range: 0...1, padding: 2)
        let labelled = ImageGrid.make(images: images, count: 4, height: 3, width: 3, columns: 2, range: 0...1,
                                      padding: 2, background: 0, rowLabels: ["t=0", "t=999"], columnLabels: ["a", "b"])
        XCTAssertEqual(labelled.width, plain.width + 2 + BitmapFont.width(of: "t=999"))
        XCTAssertEqual(labelled.height, plain.height + 2 + BitmapFont.glyphHeight)
        XCTAssertGreaterThan(labelled.pixels.filter { $0 == 255 }.count, 20, "white text on black")
    }

    func testByteImagesAndGrayMapping() {
        let grid = ImageGrid.make(bytes: [0, 128, 255, 7], count: 1, height: 2, width: 2, columns: 1, padding: 0)
        XCTAssertEqual(grid.pixels, [0, 128, 255, 7])
        XCTAssertEqual(ImageGrid.gray(-5, range: -1...1), 0)
        XCTAssertEqual(ImageGrid.gray(5, range: -1...1), 255)
        XCTAssertEqual(ImageGrid.gray(.nan, range: -1...1), 0)
        XCTAssertEqual(ImageGrid.gray(0.5, range: 0...1), 128)
    }

    func testEmptyGrid() {
        let grid = ImageGrid.make(images: [], count: 0, height: 28, width: 28, columns: 8, range: 0...1)
        XCTAssertEqual(grid.height, 2)
    }
}
