import ArgumentParser
import ChapterSupport
import Diffusion
import DigitServer
import Foundation

extension Conditional {
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve a web page and an HTTP API that draw the digit you ask for.",
            discussion: """
                GET /                      the page
                GET /api/generate?digit=7&sampler=dpm-solver&guidance=0.5&steps=10&seed=1   a PNG (add scale=8 for a bigger one)
                GET /api/generate?digit=7&animate=1                    an animated GIF of the denoising
                GET /api/generate?model=fashion&digit=7                a sneaker, from the chapter 5 model (--fashion-checkpoint)
                GET /api/number?digits=2026                            a strip of digits
                GET /healthz
                The model loads once at start; Ctrl-C (SIGINT) or SIGTERM stops it gracefully.
                """)

        @Option(help: "Address to listen on.")
        var host = "127.0.0.1"

        @Option(help: "Port to listen on.")
        var port = 8080

        @Option(help: "Model file (or training checkpoint).")
        var checkpoint = ShippedFiles.conditionalModel

        @Option(help: "The Fashion-MNIST model behind model=fashion and the page's Clothing choice ('none': digits only).")
        var fashionCheckpoint = ShippedFiles.fashionModel

        func validate() throws {
            guard (1...65535).contains(port) else { throw ValidationError("--port must be in 1...65535, got \(port)") }
        }

        func run() async throws {
            let url = ShippedFiles.resolve(checkpoint)
            let model = try TrainedModel.loadConditional(contentsOf: url)
            print("Loaded \(url.relativePath): \(model.model.parameterCount) parameters, T = \(model.schedule.steps)")
            var clothing: TrainedModel?
            if fashionCheckpoint != "none" {
                let fashionURL = ShippedFiles.resolve(fashionCheckpoint)
                clothing = try TrainedModel.loadConditional(contentsOf: fashionURL, classes: 10)
                print("Loaded \(fashionURL.relativePath) for model=fashion")
            }
            try await serveDigits(model: model, clothing: clothing, host: host, port: port)
        }
    }
}
