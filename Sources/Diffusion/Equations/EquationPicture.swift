import TensorCore

/// An equation drawn in one row: generated digits, and the operators, '=', '-' and '.' drawn with the
/// built-in ``BitmapFont`` in tiles of the same size, white on black like the digits.
public enum EquationPicture {
    /// A 28x28 tile (values in [-1, 1]) with `symbol` drawn at 3x, centred.
    public static func symbolTile(_ symbol: Character, side: Int = 28) -> [Float] {
        var tile = [Float](repeating: -1, count: side * side)
        let scale = 3
        let x = (side - BitmapFont.glyphWidth * scale) / 2, y = (side - BitmapFont.glyphHeight * scale) / 2
        BitmapFont.render(String(symbol), x: x, y: y, scale: scale) { px, py in
            if (0..<side).contains(px) && (0..<side).contains(py) { tile[py * side + px] = 1 }
        }
        return tile
    }

    /// The row for `equation`: `digits` holds one generated image per digit of `equation.text`, in order
    /// (`[equation.digits.count, 1, 28, 28]` in [-1, 1]).
    public static func make(_ equation: Equation, digits: Tensor, scale: Int = 4) -> GrayImage {
        let side = digits.shape[2]
        precondition(digits.shape[0] == equation.digits.count && digits.shape[3] == side, "EquationPicture: \(equation.digits.count) digits, got \(digits.shape)")
        let pixels = digits.clamped(-1, 1).scalars
        var tiles: [Float] = []
        var next = 0
        for c in equation.text {
            if c.isNumber {
                tiles += pixels[next * side * side..<(next + 1) * side * side]
                next += 1
            } else {
                tiles += symbolTile(c, side: side)
            }
        }
        let count = equation.text.count
        return ImageGrid.make(images: tiles, count: count, height: side, width: side, columns: count, range: -1...1, scale: scale, padding: 0)
    }
}
