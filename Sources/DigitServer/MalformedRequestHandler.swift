import Foundation
import Hummingbird
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// Requests that are not HTTP/1.1 the parser accepts (a request line and headers over 80 KB, bytes that are not
/// a method or a header name, a bad Content-Length or chunk size) never reach the router: Hummingbird answers
/// them with a bare 400 without a body and closes the connection. This handler sits between the HTTP codec and
/// Hummingbird, remembers the parser's error, and gives that 400 the JSON body every other error has:
/// `{"error": "the request line and headers are over 80 KB ..."}`.
final class MalformedRequestHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// NIO's limit on the request line plus headers (`NIOHTTPDecoderLimitConfiguration`, Hummingbird's default).
    static let headLimit = 80 * 1024

    private var parserError: HTTPParserError?

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? HTTPParserError, parserError == nil { parserError = error }
        context.fireErrorCaught(error)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        // Only that bare 400: a route's own 400 (with its JSON body) may still be on its way out when a later
        // pipelined request fails to parse.
        guard let error = parserError, case .head(var head) = unwrapOutboundIn(data), head.status == .badRequest,
              head.headerFields[.contentLength] == "0" else {
            context.write(data, promise: promise)
            return
        }
        // Hummingbird's answer to a parser error: the head (Content-Length 0), then the end. The body goes between.
        let body = ByteBuffer(bytes: (try? JSONEncoder().encode(["error": Self.message(error)])) ?? Data("{\"error\":\"bad request\"}".utf8))
        head.headerFields[.contentType] = "application/json; charset=utf-8"
        head.headerFields[.contentLength] = String(body.readableBytes)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: promise)
    }

    static func message(_ error: HTTPParserError) -> String {
        switch error {
        case .headerOverflow:
            "the request line and headers are over \(headLimit / 1024) KB (or over 1000 headers); this service reads at most that"
        case .invalidURL, .invalidPath, .invalidQueryString, .invalidCharactersUsed:
            "the request target has bytes a URL may not hold (spaces, control characters, bytes above 127): percent-encode them"
        case .invalidMethod:
            "not an HTTP method; this service answers GET"
        case .invalidContentLength, .unexpectedContentLength, .invalidChunkSize:
            "the request body's framing is invalid (\(error)): Content-Length or chunked encoding"
        default:
            "not a valid HTTP/1.1 request (\(error))"
        }
    }
}
