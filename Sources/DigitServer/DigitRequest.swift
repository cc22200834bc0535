import Diffusion
import Foundation
import Hummingbird

/// A validated request: what to draw and how. Every parameter is checked here; a bad one becomes a 400 with a
/// JSON body that names it.
struct DigitRequest: Sendable {
    var digits: [Int]
    var settings: SamplingSettings
    var seed: UInt64
    var scale: Int
    var trajectory: Bool
    /// Answer with an animated GIF of the denoising (x_t and x0hat, one frame per step) instead of a PNG.
    var animate: Bool

    static let maxDigits = 12
    static let maxSteps = 200
    /// An animation holds every frame in memory before it is encoded (one byte per pixel): 12 digits at scale 16
    /// over 200 steps would be about 1 GB. Frames x pixels per frame may be at most this (48 MB).
    static let maxAnimationPixels = 48_000_000

    /// The request's size for the sampling gate: images in the batch (twice the digits when guided, the
    /// conditional and unconditional passes) times model calls.
    func cost(timesteps: Int) -> Double {
        Double(digits.count * (settings.guidance > 0 ? 2 : 1) * settings.stepCount(timesteps: timesteps))
    }

    /// The parameters each API route reads; anything else is a 400 rather than silently ignored (a typo such as
    /// `guidence=2` would otherwise draw at the default guidance and look like the parameter had no effect).
    static let sharedNames: [String] = ["model", "sampler", "guidance", "steps", "seed", "scale", "trajectory", "animate"]
    static func parameterNames(number: Bool) -> [String] { [number ? "digits" : "digit"] + sharedNames }

    /// Checks that `query` names only parameters the route reads, each once: `digit=3&digit=5` is ambiguous, so
    /// a 400 naming the parameter rather than a silent choice of one of them.
    static func checkNames(_ query: Parameters, number: Bool) throws(APIError) {
        try checkNames(query, allowed: parameterNames(number: number), route: number ? "/api/number" : "/api/generate")
    }

    /// The same check for any route's list of parameters (the canvas's /api/edit uses it too).
    static func checkNames(_ query: Parameters, allowed: [String], route: String) throws(APIError) {
        var seen: Set<Substring> = []
        for (name, _) in query {
            guard allowed.contains(String(name)) else {
                throw APIError(.badRequest, "unknown parameter '\(name.prefix(40))'; \(route) takes " + allowed.joined(separator: ", "))
            }
            guard seen.insert(name).inserted else { throw APIError(.badRequest, "parameter '\(name.prefix(40))' is given more than once; give it once") }
        }
    }

    /// Parses `?digit=7` (or `digits=2026` when `number` is true) and the shared options; `timesteps` is the
    /// model's T, which bounds the solver steps; `imageSide` its sample size (28 for MNIST).
    init(_ query: Parameters, number: Bool, timesteps: Int, imageSide: Int = 28) throws(APIError) {
        try Self.checkNames(query, number: number)
        if number {
            guard let text = query["digits"].map(String.init), !text.isEmpty else {
                throw APIError(.badRequest, "missing parameter 'digits' (e.g. digits=2026)")
            }
            guard text.count <= Self.maxDigits, text.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                throw APIError(.badRequest, "'digits' must be 1 to \(Self.maxDigits) characters 0-9, got '\(text.prefix(40))'")
            }
            digits = text.compactMap(\.wholeNumberValue)
        } else {
            guard let text = query["digit"].map(String.init) else { throw APIError(.badRequest, "missing parameter 'digit' (0-9)") }
            guard let d = Int(text), (0...9).contains(d) else {
                throw APIError(.badRequest, "'digit' must be an integer 0-9, got '\(text.prefix(40))'")
            }
            digits = [d]
        }
        var settings = SamplingSettings.defaults
        if let text = query["sampler"].map(String.init) {
            guard let kind = SamplerKind(rawValue: text) else {
                throw APIError(.badRequest, "'sampler' must be one of \(SamplerKind.allCases.map(\.rawValue).joined(separator: ", ")), got '\(text.prefix(40))'")
            }
            settings.sampler = kind
        }
        settings.guidance = try Self.number(query, "guidance", default: settings.guidance, range: SamplingSettings.guidanceRange)
        settings.steps = Int(try Self.number(query, "steps", default: Float(min(settings.steps, timesteps)), range: 1...Float(Self.maxSteps), integer: true))
        // DDPM visits all T timesteps: allowed only where T is within the request bound.
        if settings.sampler == .ddpm && timesteps > Self.maxSteps {
            throw APIError(.badRequest, "'sampler=ddpm' runs all \(timesteps) timesteps of this model, more than the \(Self.maxSteps) a request may; use dpm-solver or ddim")
        }
        do { try settings.validate(timesteps: timesteps) } catch { throw APIError(.badRequest, "\(error)") }
        self.settings = settings
        scale = Int(try Self.number(query, "scale", default: 1, range: 1...16, integer: true))
        if let text = query["seed"].map(String.init) {
            guard let s = UInt64(text) else { throw APIError(.badRequest, "'seed' must be a non-negative integer, got '\(text.prefix(40))'") }
            seed = s
        } else {
            seed = UInt64.random(in: 0...UInt64(UInt32.max))
        }
        trajectory = try Self.flag(query, "trajectory")
        animate = try Self.flag(query, "animate")
        if animate {
            // frames: one per step and the result; each frame shows x_t and x0hat for every digit.
            let frames = settings.stepCount(timesteps: timesteps) + 1
            let side = imageSide * scale
            let pixels = frames * 2 * digits.count * side * side
            guard pixels <= Self.maxAnimationPixels else {
                throw APIError(.badRequest, "animate=1 with \(digits.count) digit(s), \(frames) frames and scale \(scale) makes "
                    + "\(pixels / 1_000_000) megapixels; a request may make at most \(Self.maxAnimationPixels / 1_000_000): lower scale, steps or digits")
            }
        }
    }

    /// A yes/no parameter: absent, 0, false or no is off; 1, true or yes is on; anything else a 400.
    private static func flag(_ query: Parameters, _ name: String) throws(APIError) -> Bool {
        guard let text = query[Substring(name)].map(String.init) else { return false }
        if ["1", "true", "yes"].contains(text) { return true }
        if ["0", "false", "no"].contains(text) { return false }
        throw APIError(.badRequest, "'\(name)' must be 1 or 0 (true/false, yes/no), got '\(text.prefix(40))'")
    }

    /// A number parameter within `range` (an integer when `integer`); absent: `value`. Also parses the canvas route's.
    static func number(_ query: Parameters, _ name: String, default value: Float, range: ClosedRange<Float>,
                               integer: Bool = false) throws(APIError) -> Float {
        guard let text = query[Substring(name)].map(String.init) else { return value }
        guard let x = Float(text), x.isFinite, !integer || x == x.rounded() else {
            throw APIError(.badRequest, "'\(name)' must be \(integer ? "an integer" : "a number"), got '\(text.prefix(40))'")
        }
        guard range.contains(x) else {
            throw APIError(.badRequest, "'\(name)' must be in \(integer ? "\(Int(range.lowerBound))...\(Int(range.upperBound))" : "\(range.lowerBound)...\(range.upperBound)"), got \(text.prefix(40))")
        }
        return x
    }
}

/// An error answered as JSON: `{"error": "..."}` with its status.
struct APIError: Error, HTTPResponseError {
    let status: HTTPResponse.Status
    let message: String
    var headers: HTTPFields = [:]

    init(_ status: HTTPResponse.Status, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.message = message
        self.headers = headers
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        let body = (try? JSONEncoder().encode(["error": message])) ?? Data("{\"error\":\"internal error\"}".utf8)
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
