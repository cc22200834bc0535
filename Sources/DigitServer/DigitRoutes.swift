import Diffusion
import Foundation
import Hummingbird

/// The HTTP interface:
///   GET /                                     the web page
///   GET /api/generate?digit=7&sampler=dpm-solver&guidance=0.5&steps=10&seed=1[&scale=8][&trajectory=1]   image/png
///       [&animate=1]: image/gif, the denoising (x_t and x0hat) one frame per step
///       [&model=fashion]: a Fashion-MNIST class instead of a digit (digit=7: a sneaker), when the server has it
///   GET /api/number?digits=2026&...           image/png, the digits side by side
///   POST /api/edit?mode=sdedit&digit=3&...    image/png, the page's canvas re-drawn (CanvasRoutes.swift)
///   GET /healthz                              {"status": "ok", ...}
/// Anything else: JSON errors (400 bad or unknown parameter, 404 unknown path, 405 wrong method, 413 a body on
/// these GET routes, 414 a request target over 8 KB, 503 busy).
public enum DigitRoutes {
    static let paths: Set<String> = ["/", "/api/generate", "/api/number", "/healthz"]
    /// The longest request target (path and query) read, in bytes: the longest real request is under 200.
    static let maxTargetBytes = 8192

    public static func router(service: DigitService) -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: JSONErrorMiddleware())
        router.get("/") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-cache"],
                     body: .init(byteBuffer: ByteBuffer(string: WebPage.html(clothing: service.clothing != nil))))
        }
        router.get("/healthz") { _, _ in
            let body = ["status": "ok", "model": "UNet2DModel", "parameters": String(service.model.model.parameterCount),
                        "models": service.clothing == nil ? "digits" : "digits,fashion"]
            return Response(status: .ok, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(bytes: try JSONEncoder().encode(body))))
        }
        router.get("/api/generate") { request, _ in
            let query = request.uri.queryParameters
            try DigitRequest.checkNames(query, number: false)
            let model = try service.model(named: query["model"].map(String.init))
            return try await image(service, model, try DigitRequest(query, number: false, timesteps: model.schedule.steps,
                                                                 imageSide: model.recipe.model.sampleSize))
        }
        router.get("/api/number") { request, _ in
            let query = request.uri.queryParameters
            try DigitRequest.checkNames(query, number: true)
            if let name = query["model"], name != "digits" { throw APIError(.badRequest, "/api/number draws digits only; 'model=\(name.prefix(40))' is for /api/generate") }
            return try await image(service, service.model, try DigitRequest(query, number: true, timesteps: service.model.schedule.steps,
                                                                         imageSide: service.model.recipe.model.sampleSize))
        }
        CanvasRoutes.add(to: router, service: service)
        return router
    }

    static func image(_ service: DigitService, _ model: TrainedModel, _ request: DigitRequest) async throws -> Response {
        let (data, type) = try await service.image(for: request, model: model)
        return Response(status: .ok,
                        headers: [.contentType: type, .cacheControl: "no-store", .init("X-Seed")!: String(request.seed)],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Turns the router's bare 404 into JSON, and a known path with the wrong method into 405 with Allow. Refuses
/// a request target over `maxTargetBytes` (414) and a request body on the GET routes (413), before routing.
struct JSONErrorMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let target = request.uri.string.utf8.count
        guard target <= DigitRoutes.maxTargetBytes else {
            throw APIError(.uriTooLong, "the request target (path and query) is \(target) bytes; this service reads at most \(DigitRoutes.maxTargetBytes)")
        }
        if request.method == .get, DigitRoutes.paths.contains(request.uri.path), let size = Self.announcedBody(request) {
            throw APIError(.contentTooLarge, "GET \(request.uri.path) takes no request body; this one announces \(size)")
        }
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            if DigitRoutes.paths.contains(request.uri.path) {
                throw APIError(.methodNotAllowed, "\(request.method) is not allowed on \(request.uri.path); use GET", headers: [.allow: "GET"])
            }
            throw APIError(.notFound, "no such path: \(request.uri.path.prefix(100)); try /, /api/generate?digit=7, /api/number?digits=2026, /healthz")
        }
    }
}

extension JSONErrorMiddleware {
    /// What the request's headers say of its body, or nil when it has none (no Content-Length, or 0).
    static func announcedBody(_ request: Request) -> String? {
        if let length = request.headers[.contentLength], length != "0" { return "\(length.prefix(20)) bytes" }
        if request.headers[.transferEncoding] != nil { return "a chunked body" }
        return nil
    }
}
