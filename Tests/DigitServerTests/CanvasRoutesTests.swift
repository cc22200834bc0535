import Diffusion
import Foundation
import Hummingbird
import HummingbirdTesting
import TensorCore
import XCTest
@testable import DigitServer

/// The canvas's route, POST /api/edit, against the tiny random model of DigitRoutesTests: each mode answers a
/// PNG, inpainting keeps the drawn pixels outside the erased area, and bad canvas data is a 400 naming what is wrong.
final class CanvasRoutesTests: XCTestCase {
    func app(maxWaiting: Int = 8) -> some ApplicationProtocol {
        Application(router: DigitRoutes.router(service: DigitService(model: DigitRoutesTests.model, maxWaiting: maxWaiting)))
    }

    /// A drawn bar: 784 bytes, 255 in columns 12-15 of rows 4-23.
    static let drawing: [UInt8] = (0..<784).map { i in (12...15).contains(i % 28) && (4...23).contains(i / 28) ? 255 : 0 }
    /// The right half erased.
    static let mask: [UInt8] = (0..<784).map { i in i % 28 >= 14 ? 255 : 0 }

    static func post(_ client: some TestClientProtocol, _ uri: String, _ bytes: [UInt8], type: String? = "application/octet-stream") async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if let type { headers[.contentType] = type }
        return try await client.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(bytes: bytes)) { $0 }
    }

    func testEachModeAnswersAPNG() async throws {
        try await app().test(.router) { client in
            for (uri, body) in [("/api/edit?mode=sdedit&digit=3&strength=0.5&steps=3&seed=1&scale=2", Self.drawing),
                                ("/api/edit?mode=clean&steps=2&seed=1&scale=2", Self.drawing),
                                ("/api/edit?mode=inpaint&digit=8&steps=3&resample=2&seed=1&scale=2", Self.drawing + Self.mask)] {
                let response = try await Self.post(client, uri, body)
                XCTAssertEqual(response.status, .ok, "\(uri): \(String(buffer: response.body))")
                XCTAssertEqual(response.headers[.contentType], "image/png", uri)
                XCTAssertEqual(response.headers[.init("X-Seed")!], "1", uri)
                let image = try GrayImage(pngData: Data(buffer: response.body))
                XCTAssertEqual([image.width, image.height], [56, 56], uri)
            }
        }
    }

    func testInpaintingKeepsTheDrawingOutsideTheErasedPart() async throws {
        try await app().test(.router) { client in
            let response = try await Self.post(client, "/api/edit?mode=inpaint&steps=4&seed=2", Self.drawing + Self.mask)
            XCTAssertEqual(response.status, .ok)
            let image = try GrayImage(pngData: Data(buffer: response.body))
            for i in 0..<784 where Self.mask[i] == 0 {
                XCTAssertLessThanOrEqual(abs(Int(image.pixels[i]) - Int(Self.drawing[i])), 1, "pixel \(i) was drawn and not erased")
            }
            let changed = (0..<784).filter { Self.mask[$0] != 0 && abs(Int(image.pixels[$0]) - Int(Self.drawing[$0])) > 30 }
            XCTAssertGreaterThan(changed.count, 20, "the erased half was filled by the model")
        }
    }

    func testSameSeedSameEdit() async throws {
        try await app().test(.router) { client in
            let uri = "/api/edit?mode=sdedit&digit=5&strength=0.7&steps=3&seed=4"
            let a = try await Self.post(client, uri, Self.drawing), b = try await Self.post(client, uri, Self.drawing)
            let c = try await Self.post(client, uri.replacingOccurrences(of: "seed=4", with: "seed=5"), Self.drawing)
            XCTAssertEqual(Data(buffer: a.body), Data(buffer: b.body))
            XCTAssertNotEqual(Data(buffer: a.body), Data(buffer: c.body))
        }
    }

    func testBadCanvasDataGetsAJSONErrorThatSaysWhat() async throws {
        let cases: [(String, [UInt8], String?, HTTPResponse.Status, String)] = [
            ("/api/edit?mode=sdedit&digit=3", Array(Self.drawing.dropLast()), "application/octet-stream", .badRequest, "must be exactly 784 bytes (28x28 bytes, 0 background, 255 ink), got 783"),
            ("/api/edit?mode=sdedit&digit=3", Self.drawing + Self.mask, "application/octet-stream", .badRequest, "must be exactly 784 bytes"),
            ("/api/edit?mode=inpaint", Self.drawing, "application/octet-stream", .badRequest, "must be exactly 1568 bytes (28x28 drawing bytes, then 28x28 mask bytes"),
            ("/api/edit?mode=sdedit&digit=3", [UInt8](repeating: 1, count: 100_000), "application/octet-stream", .badRequest, "got more than 1568"),
            ("/api/edit?mode=sdedit&digit=3", [], "application/octet-stream", .badRequest, "got 0"),
            ("/api/edit?mode=sdedit&digit=3", Self.drawing, "image/png", .badRequest, "must be sent as application/octet-stream"),
            ("/api/edit?mode=sdedit&digit=3", Self.drawing, "application/json", .badRequest, "got Content-Type 'application/json'"),
            ("/api/edit?digit=3", Self.drawing, nil, .badRequest, "missing parameter 'mode'"),
            ("/api/edit?mode=paint", Self.drawing, nil, .badRequest, "'mode' must be one of sdedit, clean, inpaint, got 'paint'"),
            ("/api/edit?mode=sdedit", Self.drawing, nil, .badRequest, "missing parameter 'digit'"),
            ("/api/edit?mode=sdedit&digit=10", Self.drawing, nil, .badRequest, "'digit' must be an integer 0-9"),
            ("/api/edit?mode=clean&digit=1", Self.drawing, nil, .badRequest, "'digit' does not go with mode=clean"),
            ("/api/edit?mode=sdedit&digit=3&strength=0", Self.drawing, nil, .badRequest, "'strength' must be in (0, 1]"),
            ("/api/edit?mode=sdedit&digit=3&strength=1.5", Self.drawing, nil, .badRequest, "'strength' must be in (0, 1] (0: no change, 1: from pure noise), got 1.5"),
            ("/api/edit?mode=sdedit&digit=3&strength=nan", Self.drawing, nil, .badRequest, "'strength' must be a number"),
            ("/api/edit?mode=sdedit&digit=3&steps=500", Self.drawing, nil, .badRequest, "'steps' must be in 1...100"),
            ("/api/edit?mode=sdedit&digit=3&resample=2", Self.drawing, nil, .badRequest, "'resample' goes with mode=inpaint only"),
            ("/api/edit?mode=inpaint&steps=50&resample=5", Self.drawing + Self.mask, nil, .badRequest, "250 model calls; a request may make at most 200"),
            ("/api/edit?mode=inpaint&resample=11", Self.drawing + Self.mask, nil, .badRequest, "'resample' must be in 1...10"),
            ("/api/edit?mode=sdedit&digit=3&seed=x", Self.drawing, nil, .badRequest, "'seed' must be a non-negative integer"),
            ("/api/edit?mode=sdedit&digit=3&strenght=0.5", Self.drawing, nil, .badRequest, "unknown parameter 'strenght'; /api/edit takes mode, digit, strength"),
            ("/api/edit?mode=sdedit&digit=3&digit=5", Self.drawing, nil, .badRequest, "parameter 'digit' is given more than once"),
            ("/api/edit?mode=sdedit&mode=clean&digit=3", Self.drawing, nil, .badRequest, "parameter 'mode' is given more than once"),
        ]
        try await app().test(.router) { client in
            for (uri, body, type, status, message) in cases {
                let response = try await Self.post(client, uri, body, type: type)
                XCTAssertEqual(response.status, status, uri)
                XCTAssertEqual(response.headers[.contentType], "application/json; charset=utf-8", uri)
                let error = (try? JSONDecoder().decode([String: String].self, from: Data(buffer: response.body)))?["error"] ?? ""
                XCTAssertTrue(error.contains(message), "\(uri) (\(body.count) bytes): \(error)")
            }
            try await client.execute(uri: "/api/edit?mode=clean", method: .get) { response in
                XCTAssertEqual(response.status, .methodNotAllowed)
                XCTAssertEqual(response.headers[.allow], "POST")
            }
        }
    }

    func testEditsWaitInTheSameQueue() async throws {
        try await app(maxWaiting: 0).test(.router) { client in
            async let slow = client.execute(uri: "/api/generate?digit=1&steps=100&seed=1", method: .get) { $0.status }
            try await Task.sleep(for: .milliseconds(20))
            let refused = try await Self.post(client, "/api/edit?mode=sdedit&digit=3&steps=2", Self.drawing)
            let slowStatus = try await slow
            XCTAssertEqual(slowStatus, .ok)
            XCTAssertEqual(refused.status, .serviceUnavailable)
        }
    }

    func testThePageHasTheCanvas() async throws {
        try await app().test(.router) { client in
            try await client.execute(uri: "/", method: .get) { response in
                let html = String(buffer: response.body)
                for part in ["<canvas id=\"pad\"", "id=\"strength\"", "id=\"cleanUp\"", "id=\"complete\"", "/api/edit?mode=", "pointerdown"] {
                    XCTAssertTrue(html.contains(part), part)
                }
            }
        }
    }
}
