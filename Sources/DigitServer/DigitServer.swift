import Diffusion
import Foundation
import Hummingbird

/// Runs the digit service until SIGINT or SIGTERM, then shuts down gracefully (requests in flight finish).
public func serveDigits(model: TrainedModel, clothing: TrainedModel? = nil, host: String, port: Int) async throws {
    let service = DigitService(model: model, clothing: clothing)
    let app = digitApplication(service: service, configuration: .init(address: .hostname(host, port: port), serverName: "diffusion-from-scratch"))
    print("Serving digits on http://\(host):\(port)/  (Ctrl-C to stop)")
    try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
}

/// The service's routes on HTTP/1.1, with requests the HTTP parser rejects answered in JSON too
/// (`MalformedRequestHandler`).
func digitApplication(service: DigitService, configuration: ApplicationConfiguration = .init()) -> Application<RouterResponder<BasicRequestContext>> {
    Application(router: DigitRoutes.router(service: service),
                server: .http1(configuration: .init(additionalChannelHandlers: [MalformedRequestHandler()])),
                configuration: configuration)
}
