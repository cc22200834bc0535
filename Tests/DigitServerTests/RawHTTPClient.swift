import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A bare TCP client for the hostile-request tests: sends bytes no HTTP client library would (raw non-UTF-8
/// request lines, 100 KB heads, bodies a GET should not have) and reads whatever comes back until the server
/// closes the connection or 10 s pass.
struct RawHTTPClient {
    let port: Int

    /// A parsed answer: status, lowercased header names, and the body.
    struct Answer {
        var status: Int
        var headers: [String: String]
        var body: Data
        var raw: String { "HTTP \(status) \(headers) \(String(decoding: body, as: UTF8.self).prefix(300))" }
    }

    enum Failure: Error, CustomStringConvertible {
        case connect(String), noAnswer(bytes: Int)
        var description: String {
            switch self {
            case let .connect(why): "cannot connect: \(why)"
            case let .noAnswer(bytes): "no HTTP answer (\(bytes) bytes read before the connection closed or timed out)"
            }
        }
    }

    /// Sends `head` and then `bodyBytes` bytes of filler (on another thread, so a server that answers before
    /// reading the body is not blocked by a full socket buffer), and reads the answer.
    func exchange(_ head: [UInt8], bodyBytes: Int = 0) async throws -> Answer {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try self.blockingExchange(head, bodyBytes: bodyBytes) })
            }
        }
    }

    func exchange(_ head: String, bodyBytes: Int = 0) async throws -> Answer {
        try await exchange(Array(head.utf8), bodyBytes: bodyBytes)
    }

    private func blockingExchange(_ head: [UInt8], bodyBytes: Int) throws -> Answer {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure.connect(String(cString: strerror(errno))) }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw Failure.connect(String(cString: strerror(errno))) }

        // The writer stops at the first error: a server may answer and close before the body is all sent.
        let sent = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            defer { sent.signal() }
            guard Self.sendAll(fd, head) else { return }
            let chunk = [UInt8](repeating: UInt8(ascii: "x"), count: 64 * 1024)
            var left = bodyBytes
            while left > 0, Self.sendAll(fd, Array(chunk.prefix(left))) { left -= min(left, chunk.count) }
        }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            received.append(contentsOf: buffer[0..<n])
            if let answer = Self.parse(received), answer.body.count >= Int(answer.headers["content-length"] ?? "") ?? Int.max { break }
        }
        shutdown(fd, Int32(SHUT_RDWR))
        sent.wait()
        guard let answer = Self.parse(received) else { throw Failure.noAnswer(bytes: received.count) }
        return answer
    }

    private static func sendAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            #if canImport(Glibc)
            let flags = Int32(MSG_NOSIGNAL)
            #else
            let flags: Int32 = 0
            #endif
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, bytes.count - offset, flags) }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }

    /// The status line, headers and body so far, or nil before the head is complete.
    static func parse(_ bytes: [UInt8]) -> Answer? {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = (0..<max(0, bytes.count - 3)).first(where: { Array(bytes[$0..<$0 + 4]) == separator }) else { return nil }
        let lines = String(decoding: bytes[0..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { return nil }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return Answer(status: status, headers: headers, body: Data(bytes[(end + 4)...]))
    }
}
