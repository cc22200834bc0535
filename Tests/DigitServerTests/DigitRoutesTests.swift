import Diffusion
import Foundation
import Hummingbird
import HummingbirdTesting
import TensorCore
import XCTest
@testable import DigitServer

/// The API against a tiny random conditional model (what it draws is noise; the contract is what is tested).
final class DigitRoutesTests: XCTestCase {
    static let model: TrainedModel = {
        var recipe = DiffusionRecipe()
        recipe.model.blockOutChannels = [8, 16]
        recipe.model.layersPerBlock = 1
        recipe.model.downBlockTypes = [.down, .attnDown]
        recipe.model.upBlockTypes = [.attnUp, .up]
        recipe.model.normNumGroups = 4
        recipe.model.numClassEmbeds = 11
        recipe.timesteps = 100
        var rng = SeededGenerator(seed: 1)
        return TrainedModel(model: UNet2DModel(recipe.model, rng: &rng), recipe: recipe)
    }()

    func app(maxWaiting: Int = 8) -> some ApplicationProtocol {
        Application(router: DigitRoutes.router(service: DigitService(model: Self.model, maxWaiting: maxWaiting)))
    }

    func testEachDigitGivesAPNGOfTheRightSize() async throws {
        try await app().test(.router) { client in
            for digit in 0...9 {
                try await client.execute(uri: "/api/generate?digit=\(digit)&steps=3&seed=\(digit)", method: .get) { response in
                    XCTAssertEqual(response.status, .ok)
                    XCTAssertEqual(response.headers[.contentType], "image/png")
                    let image = try GrayImage(pngData: Data(buffer: response.body))
                    XCTAssertEqual([image.width, image.height], [28, 28], "digit \(digit)")
                }
            }
            try await client.execute(uri: "/api/number?digits=2026&steps=2&seed=3&scale=2", method: .get) { response in
                XCTAssertEqual(response.status, .ok)
                let image = try GrayImage(pngData: Data(buffer: response.body))
                XCTAssertEqual([image.width, image.height], [4 * 56, 56])
            }
            try await client.execute(uri: "/api/generate?digit=4&steps=10&seed=3&trajectory=1", method: .get) { response in
                XCTAssertEqual(response.status, .ok)
                let image = try GrayImage(pngData: Data(buffer: response.body))
                XCTAssertEqual(image.height, 28)
                XCTAssertGreaterThan(image.width, 28 * 3, "a strip of several frames")
            }
        }
    }

    func testEverySamplerAnswers() async throws {
        try await app().test(.router) { client in
            for sampler in ["dpm-solver", "ddim", "ddpm"] {
                try await client.execute(uri: "/api/generate?digit=5&sampler=\(sampler)&steps=4&seed=2", method: .get) { response in
                    XCTAssertEqual(response.status, .ok, sampler)
                    XCTAssertEqual(try GrayImage(pngData: Data(buffer: response.body)).width, 28, sampler)
                }
            }
        }
    }

    func testAnimateAnswersAGIFWithAFramePerStep() async throws {
        try await app().test(.router) { client in
            try await client.execute(uri: "/api/generate?digit=5&steps=4&seed=2&animate=1&scale=2", method: .get) { response in
                XCTAssertEqual(response.status, .ok)
                XCTAssertEqual(response.headers[.contentType], "image/gif")
                let frames = try GIFCodec.decode(Data(buffer: response.body))
                XCTAssertEqual(frames.count, 5, "4 steps and the result")
                XCTAssertGreaterThanOrEqual(frames[0].image.width, 2 * 56, "x_t and x0hat side by side")
            }
        }
    }

    func testSameSeedSameImageOtherSeedOtherImage() async throws {
        try await app().test(.router) { client in
            func fetch(_ seed: Int) async throws -> Data {
                try await client.execute(uri: "/api/generate?digit=7&steps=4&guidance=2&seed=\(seed)", method: .get) { Data(buffer: $0.body) }
            }
            let a = try await fetch(1), b = try await fetch(1), c = try await fetch(2)
            XCTAssertEqual(a, b)
            XCTAssertNotEqual(a, c)
        }
    }

    func testBadInputGetsAJSONErrorThatSaysWhat() async throws {
        let cases: [(String, HTTPRequest.Method, HTTPResponse.Status, String)] = [
            ("/api/generate?digit=12", .get, .badRequest, "'digit' must be an integer 0-9"),
            ("/api/generate?digit=seven", .get, .badRequest, "'digit' must be an integer 0-9"),
            ("/api/generate", .get, .badRequest, "missing parameter 'digit'"),
            ("/api/generate?digit=3&steps=0", .get, .badRequest, "'steps' must be in 1...200"),
            ("/api/generate?digit=3&steps=abc", .get, .badRequest, "'steps' must be an integer"),
            // The model's T is 100: more solver steps than timesteps is refused, not a trap.
            ("/api/generate?digit=3&steps=150", .get, .badRequest, "steps must be in 1...100 (the model's T), got 150"),
            ("/api/generate?digit=3&sampler=euler", .get, .badRequest, "'sampler' must be one of ddpm, ddim, dpm-solver"),
            ("/api/generate?digit=3&steps=2.5", .get, .badRequest, "'steps' must be an integer"),
            ("/api/generate?digit=3&guidance=nan", .get, .badRequest, "'guidance' must be a number"),
            ("/api/generate?digit=3&guidance=-1", .get, .badRequest, "'guidance' must be in"),
            ("/api/generate?digit=3&seed=-4", .get, .badRequest, "'seed' must be a non-negative integer"),
            ("/api/number?digits=1234567890123", .get, .badRequest, "'digits' must be 1 to 12"),
            ("/api/number?digits=12a", .get, .badRequest, "'digits' must be 1 to 12"),
            // Every frame of an animation is held in memory: 12 digits x 101 frames at scale 16 would be ~0.5 GB.
            ("/api/number?digits=123456789012&steps=100&animate=1&scale=16", .get, .badRequest, "makes 486 megapixels; a request may make at most 48"),
            ("/nope", .get, .notFound, "no such path"),
            ("/api/generate?digit=3", .post, .methodNotAllowed, "POST is not allowed"),
            ("/", .delete, .methodNotAllowed, "DELETE is not allowed"),
        ]
        try await app().test(.router) { client in
            for (uri, method, status, message) in cases {
                try await client.execute(uri: uri, method: method) { response in
                    XCTAssertEqual(response.status, status, uri)
                    XCTAssertEqual(response.headers[.contentType], "application/json; charset=utf-8", uri)
                    let body = try JSONDecoder().decode([String: String].self, from: Data(buffer: response.body))
                    XCTAssertTrue(body["error"]?.contains(message) ?? false, "\(uri): \(body)")
                }
            }
        }
    }

    func testPageAndHealth() async throws {
        try await app().test(.router) { client in
            try await client.execute(uri: "/", method: .get) { response in
                XCTAssertEqual(response.status, .ok)
                let html = String(buffer: response.body)
                XCTAssertTrue(html.contains("<title>Diffusion from Scratch"))
                XCTAssertTrue(html.contains("/api/generate?digit="))
                XCTAssertTrue(html.contains("animate=1") && html.contains("value=\"dpm-solver\""), "sampler choice and the animation")
                XCTAssertTrue(html.contains("id=\"steps\" min=\"1\" max=\"50\" step=\"1\" value=\"\(SamplingSettings.defaults.steps)\""), "defaults from SamplingSettings")
            }
            try await client.execute(uri: "/healthz", method: .get) { response in
                XCTAssertEqual(response.status, .ok)
                XCTAssertTrue(String(buffer: response.body).contains("\"status\":\"ok\""))
            }
        }
    }

    func testFullQueueAnswers503WithRetryAfter() async throws {
        // No waiting allowed: while one request samples, a second is refused at once.
        try await app(maxWaiting: 0).test(.router) { client in
            async let slow = client.execute(uri: "/api/generate?digit=1&steps=100&seed=1", method: .get) { $0.status }
            try await Task.sleep(for: .milliseconds(20))
            let refused = try await client.execute(uri: "/api/generate?digit=2&steps=100&seed=1", method: .get) { $0 }
            let slowStatus = try await slow
            XCTAssertEqual(slowStatus, .ok)
            XCTAssertEqual(refused.status, .serviceUnavailable)
            XCTAssertEqual(refused.headers[.retryAfter], "2")
        }
    }

    /// model=fashion draws from the clothing model when the server has one, and is a 400 naming the parameter
    /// when it has not; /api/number draws digits only. The page offers the choice only with a clothing model.
    func testTheFashionModelIsChosenByParameter() async throws {
        let withClothing = Application(router: DigitRoutes.router(service: DigitService(model: Self.model, clothing: Self.model)))
        try await withClothing.test(.router) { client in
            try await client.execute(uri: "/api/generate?model=fashion&digit=7&steps=2&seed=1", method: .get) { response in
                XCTAssertEqual(response.status, .ok)
                XCTAssertEqual(try GrayImage(pngData: Data(buffer: response.body)).width, 28)
            }
            try await client.execute(uri: "/api/generate?model=cats&digit=7", method: .get) { response in
                XCTAssertEqual(response.status, .badRequest)
                XCTAssertTrue(String(buffer: response.body).contains("'model' must be digits or fashion, got 'cats'"), String(buffer: response.body))
            }
            try await client.execute(uri: "/api/number?model=fashion&digits=12", method: .get) { response in
                XCTAssertEqual(response.status, .badRequest)
                XCTAssertTrue(String(buffer: response.body).contains("draws digits only"), String(buffer: response.body))
            }
            try await client.execute(uri: "/", method: .get) { response in
                let page = String(buffer: response.body)
                XCTAssertTrue(page.contains("'Ankle boot'") && page.contains("id=\"modelRow\" >"), "the Model choice is shown")
            }
        }
        try await app().test(.router) { client in
            try await client.execute(uri: "/api/generate?model=fashion&digit=7&steps=2", method: .get) { response in
                XCTAssertEqual(response.status, .badRequest)
                XCTAssertTrue(String(buffer: response.body).contains("started without the Fashion-MNIST model"), String(buffer: response.body))
            }
            try await client.execute(uri: "/", method: .get) { response in
                XCTAssertTrue(String(buffer: response.body).contains("id=\"modelRow\" hidden"), "no Model choice without a clothing model")
            }
        }
    }

    /// A range input snaps its value to min + k * step, so a default that is not on the grid is silently
    /// replaced: with step 0.25 the page showed w = 0.35 but sent guidance=0.25. Every slider on the page (the
    /// canvas's too) must hold its initial value exactly.
    func testEverySliderHoldsItsDefault() async throws {
        try await app().test(.router) { client in
            let page = try await client.execute(uri: "/", method: .get) { String(buffer: $0.body) }
            let tag = try NSRegularExpression(pattern: #"<input type="range"[^>]*>"#)
            let sliders = tag.matches(in: page, range: NSRange(page.startIndex..., in: page)).map { String(page[Range($0.range, in: page)!]) }
            XCTAssertGreaterThanOrEqual(sliders.count, 3, "the guidance, steps and strength sliders")
            func attribute(_ name: String, of slider: String) throws -> Double {
                let pattern = try NSRegularExpression(pattern: " \(name)=\"([^\"]*)\"")
                let match = try XCTUnwrap(pattern.firstMatch(in: slider, range: NSRange(slider.startIndex..., in: slider)), "\(name) in \(slider)")
                return try XCTUnwrap(Double(slider[Range(match.range(at: 1), in: slider)!]), "\(name) in \(slider)")
            }
            for slider in sliders {
                let (low, high, step, value) = (try attribute("min", of: slider), try attribute("max", of: slider),
                                                try attribute("step", of: slider), try attribute("value", of: slider))
                XCTAssertTrue((low...high).contains(value), slider)
                let k = (value - low) / step
                XCTAssertEqual(k, k.rounded(), accuracy: 1e-6, "the browser would snap the default to the step grid: \(slider)")
            }
            let guidance = try XCTUnwrap(sliders.first { $0.contains(#"id="guidance""#) })
            XCTAssertEqual(Float(try attribute("value", of: guidance)), SamplingSettings.defaults.guidance, "the guidance slider starts at the default w")
        }
    }
}
