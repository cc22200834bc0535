import Foundation
import Hummingbird
import HummingbirdTesting
import XCTest
@testable import DigitServer

/// Requests a curious browser, a broken client or an attacker might send: each is answered with a 4xx and a JSON
/// `{"error": ...}` body, never a 5xx or a dropped connection, and the service answers normally afterwards.
final class HostileRequestTests: XCTestCase {
    func app() -> some ApplicationProtocol {
        digitApplication(service: DigitService(model: DigitRoutesTests.model))
    }

    /// Parameter-level hostility, through the router: unknown and repeated names, bad percent-encoding and
    /// non-UTF-8 bytes (percent-encoded), long query strings and paths, flags that are not yes or no.
    func testBadParametersAre400sThatNameThem() async throws {
        let long = String(repeating: "a", count: 6000)
        let cases: [(String, HTTPResponse.Status, String)] = [
            ("/api/generate?digit=3&guidence=2", .badRequest, "unknown parameter 'guidence'; /api/generate takes digit, model, sampler"),
            ("/api/number?digits=12&digit=3", .badRequest, "unknown parameter 'digit'; /api/number takes digits,"),
            ("/api/generate?digit=3&digit=5", .badRequest, "parameter 'digit' is given more than once"),
            ("/api/generate?digit=3&model=digits&model=fashion", .badRequest, "parameter 'model' is given more than once"),
            ("/api/number?digits=12&steps=2&steps=3", .badRequest, "parameter 'steps' is given more than once"),
            ("/api/generate?digit", .badRequest, "'digit' must be an integer 0-9, got ''"),
            // Bytes that are not UTF-8 once decoded, and percent signs that encode nothing: never a match.
            ("/api/generate?digit=%FF", .badRequest, "'digit' must be an integer 0-9, got '\u{FFFD}'"),
            ("/api/generate?digit=%C3%28", .badRequest, "'digit' must be an integer 0-9"),
            ("/api/generate?digit=3&seed=%ZZ", .badRequest, "'seed' must be a non-negative integer, got '%ZZ'"),
            ("/api/generate?digit=3&sampler=%", .badRequest, "'sampler' must be one of"),
            ("/api/number?digits=%EF%BC%91%EF%BC%92", .badRequest, "'digits' must be 1 to 12 characters 0-9"),   // fullwidth １２
            ("/api/generate?digit=3&%FF=1", .badRequest, "unknown parameter '%FF'"),
            ("/api/generate?digit=3&animate=ture", .badRequest, "'animate' must be 1 or 0 (true/false, yes/no), got 'ture'"),
            ("/api/generate?digit=3&trajectory=2", .badRequest, "'trajectory' must be 1 or 0"),
            // Long values are quoted shortened; long names too; a target over 8 KB is not read at all.
            ("/api/generate?digit=\(long)", .badRequest, "'digit' must be an integer 0-9, got '\(long.prefix(40))'"),
            ("/api/generate?digit=3&\(long)=1", .badRequest, "unknown parameter '\(long.prefix(40))'"),
            ("/\(long)", .notFound, "no such path: /\(long.prefix(99))"),
            ("/api/generate?digit=3&x=\(long)\(long)", .uriTooLong, "the request target (path and query) is 12024 bytes; this service reads at most 8192"),
            ("/\(long)\(long)", .uriTooLong, "this service reads at most 8192"),
        ]
        try await app().test(.router) { client in
            for (uri, status, message) in cases {
                try await client.execute(uri: uri, method: .get) { response in
                    XCTAssertEqual(response.status, status, String(uri.prefix(80)))
                    try Self.assertJSONError(response.headers[.contentType], Data(buffer: response.body), contains: message, String(uri.prefix(80)))
                }
            }
            // The same requests, well formed, are answered: the checks refuse only what they should.
            for uri in ["/api/generate?digit=3&steps=2&seed=1&animate=0&trajectory=no", "/api/number?digits=12&steps=2&model=digits",
                        "/api/generate?digit=%33&steps=2", "/?anything=goes&digit=3", "/healthz?probe=1"] {
                try await client.execute(uri: uri, method: .get) { XCTAssertEqual($0.status, .ok, uri) }
            }
        }
    }

    /// Wrong methods on every route, with and without a body: 405 with Allow: GET.
    func testWrongMethodsAre405s() async throws {
        try await app().test(.router) { client in
            for path in ["/", "/api/generate?digit=1", "/api/number?digits=1", "/healthz"] {
                for method in [HTTPRequest.Method.post, .put, .delete, .patch, .options] {
                    try await client.execute(uri: path, method: method, body: ByteBuffer(string: "{\"digit\": 3}")) { response in
                        XCTAssertEqual(response.status, .methodNotAllowed, "\(method) \(path)")
                        XCTAssertEqual(response.headers[.allow], "GET", "\(method) \(path)")
                        try Self.assertJSONError(response.headers[.contentType], Data(buffer: response.body),
                                                 contains: "\(method) is not allowed on", "\(method) \(path)")
                    }
                }
            }
        }
    }

    /// What no HTTP library sends, over a real socket to the server as it is deployed: raw non-UTF-8 bytes, heads
    /// over NIO's 80 KB limit, bytes that are not HTTP, huge bodies, bodies on GET. Each is a 4xx with a JSON body.
    func testMalformedRequestsOnTheWireGetJSON4xx() async throws {
        let bigHead = String(repeating: "b", count: 100 * 1024)
        let cases: [(name: String, head: [UInt8], body: Int, status: Int, message: String)] = [
            // llhttp takes only ASCII in the request target: raw bytes above 127 are refused before routing.
            ("raw non-UTF-8 in the path", Array("GET /".utf8) + [0xFF, 0xFE, 0xC3, 0x28] + Array(" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8),
             0, 400, "the request target has bytes a URL may not hold"),
            ("raw non-UTF-8 in a value", Array("GET /api/generate?digit=".utf8) + [0xFF, 0xC0, 0x80] + Array(" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8),
             0, 400, "percent-encode them"),
            ("a 100 KB path", Array("GET /\(bigHead) HTTP/1.1\r\nHost: x\r\n\r\n".utf8), 0, 400, "the request line and headers are over 80 KB"),
            ("a 100 KB header", Array("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: \(bigHead)\r\n\r\n".utf8), 0, 400, "over 80 KB"),
            ("a space in the target", Array("GET /api/gen erate?digit=1 HTTP/1.1\r\nHost: x\r\n\r\n".utf8), 0, 400, "not a valid HTTP/1.1 request"),
            ("a control byte in the target", Array("GET /api/generate?digit=1\u{7} HTTP/1.1\r\nHost: x\r\n\r\n".utf8), 0, 400, "the request target has bytes"),
            ("not a method", Array("G@T /healthz HTTP/1.1\r\nHost: x\r\n\r\n".utf8), 0, 400, "not"),
            ("a TLS hello on the HTTP port", [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03] + Array(repeating: 0, count: 64), 0, 400, "not"),
            ("two Content-Lengths", Array("POST /api/generate HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\nabc".utf8), 0, 400, "framing"),
            ("a Content-Length that is not a number", Array("POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n".utf8), 0, 400, "framing"),
            // 32 MB sent (of 10 GB announced): the answer comes without reading it all.
            ("POST with a 10 GB body", Array("POST /api/generate?digit=3 HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000000\r\nConnection: close\r\n\r\n".utf8),
             32 << 20, 405, "POST is not allowed on /api/generate"),
            ("PUT with a 32 MB body", Array("PUT /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: \(32 << 20)\r\nConnection: close\r\n\r\n".utf8),
             32 << 20, 405, "PUT is not allowed on /healthz"),
            ("GET with a body", Array("GET /api/generate?digit=3 HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000000\r\nConnection: close\r\n\r\n".utf8),
             8 << 20, 413, "GET /api/generate takes no request body; this one announces 10000000000 bytes"),
            ("GET with a chunked body", Array("GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n".utf8),
             0, 413, "GET /healthz takes no request body; this one announces a chunked body"),
        ]
        try await app().test(.live) { client in
            let raw = RawHTTPClient(port: try XCTUnwrap(client.port))
            for c in cases {
                let answer: RawHTTPClient.Answer
                do { answer = try await raw.exchange(c.head, bodyBytes: c.body) } catch {
                    XCTFail("\(c.name): \(error)")
                    continue
                }
                XCTAssertEqual(answer.status, c.status, "\(c.name): \(answer.raw)")
                try Self.assertJSONError(answer.headers["content-type"], answer.body, contains: c.message, "\(c.name): \(answer.raw)")
            }
            // Still serving.
            let health = try await raw.exchange("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            XCTAssertEqual(health.status, 200, health.raw)
            try await client.execute(uri: "/api/generate?digit=3&steps=2&seed=1", method: .get) { XCTAssertEqual($0.status, .ok) }
        }
    }

    static func assertJSONError(_ contentType: String?, _ body: Data, contains message: String, _ context: String,
                                file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(contentType, "application/json; charset=utf-8", context, file: file, line: line)
        let decoded = try? JSONDecoder().decode([String: String].self, from: body)
        XCTAssertNotNil(decoded?["error"], "\(context): not a JSON error: \(String(decoding: body, as: UTF8.self).prefix(200))", file: file, line: line)
        XCTAssertTrue(decoded?["error"]?.contains(message) ?? false, "\(context): expected '\(message)' in \(decoded ?? [:])", file: file, line: line)
    }
}
