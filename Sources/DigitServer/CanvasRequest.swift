import Diffusion
import Foundation
import Hummingbird
import TensorCore

/// A validated canvas edit: `POST /api/edit?mode=sdedit&digit=3&strength=0.6[&steps=10&guidance=0.35&seed=1&scale=8]`
/// with the drawing as the body. Every parameter and the body's size are checked here; anything wrong is a 400
/// with a JSON body that names it.
///
/// The body is `application/octet-stream`: 784 bytes, the 28x28 drawing row by row (0 background, 255 ink,
/// white on black as MNIST; the page frames the strokes as MNIST does before sending), and for
/// `mode=inpaint` 784 more, the mask (non-zero: erased, to be filled). Raw bytes rather than a PNG or JSON:
/// nothing to decode, and a size that is right or wrong.
struct CanvasRequest: Sendable {
    enum Mode: String, Sendable, CaseIterable {
        /// SDEdit toward `digit` at `strength`.
        case sdedit
        /// SDEdit toward the null class: the model's own idea of what the drawing is.
        case clean
        /// Fill the erased pixels, as `digit` if given.
        case inpaint
    }

    static let side = 28
    static let pixels = side * side
    /// Model calls a request may make: steps (times resampling for inpainting).
    static let maxCalls = 200
    static let maxResampling = 10
    /// The most body bytes read before refusing.
    static let maxBody = 2 * pixels

    var mode: Mode
    var digit: Int?
    var strength: Float
    var settings: SamplingSettings
    var resampling: Int
    var seed: UInt64
    var scale: Int

    /// Body bytes this request needs.
    var bodySize: Int { mode == .inpaint ? 2 * Self.pixels : Self.pixels }

    /// The edit's size for the sampling gate, at most: model calls (steps times resampling), twice when guided.
    var cost: Double { Double(settings.steps * resampling * (settings.guidance > 0 ? 2 : 1)) }

    /// The parameters /api/edit reads; anything else, or any of them twice, is a 400.
    static let parameterNames = ["mode", "digit", "strength", "steps", "guidance", "resample", "seed", "scale"]

    init(_ query: Parameters, timesteps: Int) throws(APIError) {
        try DigitRequest.checkNames(query, allowed: Self.parameterNames, route: "/api/edit")
        guard let text = query["mode"].map(String.init) else { throw APIError(.badRequest, "missing parameter 'mode' (sdedit, clean or inpaint)") }
        guard let m = Mode(rawValue: text) else { throw APIError(.badRequest, "'mode' must be one of sdedit, clean, inpaint, got '\(text.prefix(40))'") }
        mode = m
        if let text = query["digit"].map(String.init) {
            guard m != .clean else { throw APIError(.badRequest, "'digit' does not go with mode=clean (it cleans the drawing up as whatever it is)") }
            guard let d = Int(text), (0...9).contains(d) else { throw APIError(.badRequest, "'digit' must be an integer 0-9, got '\(text.prefix(40))'") }
            digit = d
        } else if m == .sdedit {
            throw APIError(.badRequest, "missing parameter 'digit' (0-9): the class to re-draw the canvas as")
        }
        strength = try DigitRequest.number(query, "strength", default: m == .clean ? 0.5 : 0.6, range: -Float.greatestFiniteMagnitude...Float.greatestFiniteMagnitude)
        guard strength > 0 && strength <= 1 else {
            throw APIError(.badRequest, "'strength' must be in (0, 1] (0: no change, 1: from pure noise), got \(query["strength"].map { String($0.prefix(40)) } ?? "")")
        }
        var settings = SamplingSettings.defaults
        settings.guidance = try DigitRequest.number(query, "guidance", default: settings.guidance, range: SamplingSettings.guidanceRange)
        let defaultSteps: Float = m == .inpaint ? 25 : Float(settings.steps)
        settings.steps = Int(try DigitRequest.number(query, "steps", default: min(defaultSteps, Float(timesteps)), range: 1...Float(min(Self.maxCalls, timesteps)), integer: true))
        self.settings = settings
        resampling = Int(try DigitRequest.number(query, "resample", default: 1, range: 1...Float(Self.maxResampling), integer: true))
        guard m == .inpaint || resampling == 1 else { throw APIError(.badRequest, "'resample' goes with mode=inpaint only") }
        guard settings.steps * resampling <= Self.maxCalls else {
            throw APIError(.badRequest, "'steps' x 'resample' = \(settings.steps * resampling) model calls; a request may make at most \(Self.maxCalls)")
        }
        scale = Int(try DigitRequest.number(query, "scale", default: 1, range: 1...16, integer: true))
        if let text = query["seed"].map(String.init) {
            guard let s = UInt64(text) else { throw APIError(.badRequest, "'seed' must be a non-negative integer, got '\(text.prefix(40))'") }
            seed = s
        } else {
            seed = UInt64.random(in: 0...UInt64(UInt32.max))
        }
    }

    /// The body checked: its content type (octet-stream, or none) and its exact size.
    func checkBody(_ bytes: [UInt8], contentType: String?) throws(APIError) {
        if let contentType, !contentType.lowercased().hasPrefix("application/octet-stream") {
            throw APIError(.badRequest, "the canvas must be sent as application/octet-stream (\(bodyDescription)), got Content-Type '\(contentType.prefix(60))'")
        }
        guard bytes.count == bodySize else {
            throw APIError(.badRequest, "the canvas data must be exactly \(bodySize) bytes (\(bodyDescription)), got \(bytes.count)")
        }
    }

    var bodyDescription: String {
        mode == .inpaint ? "28x28 drawing bytes, then 28x28 mask bytes, non-zero where erased" : "28x28 bytes, 0 background, 255 ink"
    }

    /// Runs the edit on `model`: the result as a PNG of 28 x scale pixels a side.
    func render(_ model: TrainedModel, _ body: [UInt8]) throws -> Data {
        let n = Self.pixels
        let image = Tensor(shape: [1, 1, Self.side, Self.side], scalars: body[0..<n].map { Float($0) / 127.5 - 1 })
        let out: Tensor
        switch mode {
        case .sdedit, .clean:
            out = try SDEdit.edit(model, images: image, labels: [mode == .clean ? nil : digit], strength: strength, settings: settings, seed: seed)
        case .inpaint:
            let known = Tensor(shape: [1, 1, Self.side, Self.side], scalars: body[n..<2 * n].map { $0 == 0 ? 1 : 0 })
            out = try Inpainting.inpaint(model, images: image, known: known, labels: [digit], steps: settings.steps, eta: 1,
                                         resampling: resampling, guidance: settings.guidance, seed: seed)
        }
        let picture = ImageGrid.make(images: out.clamped(-1, 1).scalars, count: 1, height: Self.side, width: Self.side, columns: 1,
                                     range: -1...1, scale: scale, padding: 0)
        return try picture.pngData()
    }
}
