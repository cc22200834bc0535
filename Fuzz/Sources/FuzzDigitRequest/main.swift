// libFuzzer target: the bytes are the query string of a request (or, starting with "/", the whole request
// target). Built with -parse-as-library. The DigitServer library's own sources are compiled into this module
// (the DigitServer directory here is a symlink to Sources/DigitServer), so the internal parser is reachable.
import Foundation
import Hummingbird
import HummingbirdCore

/// The two models the parser is checked against: the tests' T = 100 (DDPM allowed) and MNIST's T = 1000.
let modelTimesteps = [100, 1000]

/// Parses the query as `/api/generate` and as `/api/number` do, the way the router hands it over
/// (`request.uri.queryParameters`), and checks what an accepted request promises the renderer.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDigitRequest(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeRawBufferPointer(start: start, count: count), as: UTF8.self)
    let uri = URI(text.hasPrefix("/") ? text : "/api/generate?" + text)
    let query = uri.queryParameters
    for number in [false, true] {
        for timesteps in modelTimesteps {
            do throws(APIError) {
                let request = try DigitRequest(query, number: number, timesteps: timesteps, imageSide: 28)
                precondition((1...(number ? DigitRequest.maxDigits : 1)).contains(request.digits.count))
                precondition(request.digits.allSatisfy { (0...9).contains($0) })
                precondition((1...16).contains(request.scale))
                let steps = request.settings.stepCount(timesteps: timesteps)
                precondition((1...DigitRequest.maxSteps).contains(steps), "\(steps) steps accepted")
                precondition((try? request.settings.validate(timesteps: timesteps)) != nil, "invalid settings accepted")
                if request.animate {
                    let side: Int = 28 * request.scale
                    let frames: Int = steps + 1
                    let pixels: Int = frames * 2 * request.digits.count * side * side
                    precondition(pixels <= DigitRequest.maxAnimationPixels, "\(pixels) animation pixels accepted")
                }
            } catch {
                precondition(error.status == .badRequest, "status \(error.status) for a bad query")
                precondition(!error.message.isEmpty)
                // The 400's body must encode, as APIError.response does.
                precondition((try? JSONEncoder().encode(["error": error.message])) != nil)
            }
        }
    }
    return 0
}
