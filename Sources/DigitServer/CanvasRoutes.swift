import Diffusion
import Foundation
import Hummingbird

/// The canvas's route:
///   POST /api/edit?mode=sdedit&digit=3&strength=0.6[&steps=10&guidance=0.35&seed=1&scale=8]   image/png
///        mode=clean (as whatever it is), mode=inpaint[&digit=3&resample=5] (fill the erased pixels)
///        body: the drawing (and for inpaint the mask) as bytes, see `CanvasRequest`
/// Behind the same sampling gate as /api/generate (one edit or generation at a time, a bounded queue, 503 when full).
enum CanvasRoutes {
    static func add(to router: Router<BasicRequestContext>, service: DigitService) {
        router.post("/api/edit") { request, _ in
            let edit = try CanvasRequest(request.uri.queryParameters, timesteps: service.model.schedule.steps)
            let body: ByteBuffer
            do { body = try await request.body.collect(upTo: CanvasRequest.maxBody) } catch {
                throw APIError(.badRequest, "the canvas data must be exactly \(edit.bodySize) bytes (\(edit.bodyDescription)); got more than \(CanvasRequest.maxBody)")
            }
            let bytes = [UInt8](body.readableBytesView)
            try edit.checkBody(bytes, contentType: request.headers[.contentType])
            let png = try await service.edit(edit, bytes)
            return Response(status: .ok, headers: [.contentType: "image/png", .cacheControl: "no-store", .init("X-Seed")!: String(edit.seed)],
                            body: .init(byteBuffer: ByteBuffer(bytes: png)))
        }
        router.get("/api/edit") { _, _ -> Response in
            throw APIError(.methodNotAllowed, "GET is not allowed on /api/edit; POST the canvas (28x28 bytes) to it", headers: [.allow: "POST"])
        }
    }
}

extension DigitService {
    /// The queue canvas edits run on (the gate lets one sampling run at a time, edits and generations alike).
    static let editQueue = DispatchQueue(label: "digit-editing", qos: .userInitiated)

    /// Runs a canvas edit behind the gate, off the event loops: the result as PNG bytes.
    func edit(_ request: CanvasRequest, _ body: [UInt8]) async throws -> Data {
        let model = self.model
        return try await behindGate(on: Self.editQueue, cost: request.cost) {
            do { return try request.render(model, body) } catch let error as EditingError {
                throw APIError(.badRequest, "\(error)")
            }
        }
    }
}
