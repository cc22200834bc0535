extension GrayImage {
    /// Draws `text` in the built-in ``BitmapFont`` with its top-left corner at (`x`, `y`); pixels outside the
    /// image are skipped.
    public mutating func drawText(_ text: String, x: Int, y: Int, scale: Int = 1, value: UInt8 = 255) {
        let (width, height) = (self.width, self.height)
        pixels.withUnsafeMutableBufferPointer { buffer in
            BitmapFont.render(text, x: x, y: y, scale: scale) { px, py in
                if px >= 0, py >= 0, px < width, py < height { buffer[py * width + px] = value }
            }
        }
    }
}

extension RGBImage {
    /// Draws `text` in the built-in ``BitmapFont`` with its top-left corner at (`x`, `y`); pixels outside the
    /// image are skipped.
    public mutating func drawText(_ text: String, x: Int, y: Int, scale: Int = 1, color: RGB = .black) {
        let (width, height) = (self.width, self.height)
        pixels.withUnsafeMutableBufferPointer { buffer in
            BitmapFont.render(text, x: x, y: y, scale: scale) { px, py in
                guard px >= 0, py >= 0, px < width, py < height else { return }
                let i = 3 * (py * width + px)
                buffer[i] = color.r
                buffer[i + 1] = color.g
                buffer[i + 2] = color.b
            }
        }
    }
}
