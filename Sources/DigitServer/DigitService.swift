import Diffusion
import Foundation
import TensorCore
#if canImport(Glibc)
import Glibc
#endif

/// The models behind the API: loaded once at start, sampled behind the gate, on a thread of its own so the
/// server's event loops never block on the CPU-bound work. `model` draws digits (`model=digits`, the
/// default); `clothing`, when given, draws Fashion-MNIST's classes (`model=fashion`, chapter 5).
public final class DigitService: Sendable {
    let model: TrainedModel
    let clothing: TrainedModel?
    let gate: SamplingGate
    private let queue = DispatchQueue(label: "digit-sampling", qos: .userInitiated)

    /// One sampling runs at a time, on a serial queue: each uses both cores (the kernels split their work), so
    /// two at once would only share them and both answer later.
    /// - maxWaiting: requests allowed to wait; more are refused with 503.
    /// - maxWait: how long a request may wait for its turn before a 503.
    /// - maxQueueDelay: a request is refused at once (503) when the ones ahead of it would, by the measured
    ///   service time, keep it waiting longer than this. The default, 50 ms, is about a third of a default
    ///   request: under overload an accepted request then answers within about its own service time plus 50 ms,
    ///   and a request that arrives as the running one finishes still gets the slot without a gap.
    public init(model: TrainedModel, clothing: TrainedModel? = nil, maxWaiting: Int = 8, maxWait: Duration = .seconds(30),
                maxQueueDelay: Duration = .milliseconds(50)) {
        self.model = model
        self.clothing = clothing
        gate = SamplingGate(maxConcurrent: 1, maxWaiting: maxWaiting, maxWait: maxWait, maxQueueDelay: maxQueueDelay)
    }

    /// The model a request names: `digits` (or no `model` parameter) or `fashion`; anything else is a 400.
    func model(named name: String?) throws(APIError) -> TrainedModel {
        switch name ?? "digits" {
        case "digits": return model
        case "fashion":
            guard let clothing else { throw APIError(.badRequest, "'model=fashion': this server was started without the Fashion-MNIST model") }
            return clothing
        default: throw APIError(.badRequest, "'model' must be digits or fashion, got '\(name!.prefix(40))'")
        }
    }

    /// Waits for the sampling slot for a job of `cost` units (pair with `gate.leave(_:)`); a refusal is a 503
    /// with Retry-After.
    func enterGate(cost: Double) async throws(APIError) -> SamplingGate.Ticket {
        do { return try await gate.enter(cost: cost) } catch {
            let reason = error == .queueFull ? "the server is busy (queue full)" : "the server is busy (waited too long)"
            throw APIError(.serviceUnavailable, reason + "; try again shortly", headers: [.retryAfter: "2"])
        }
    }

    /// Draws the request's digits: a PNG of one row of digits or of the denoising trajectory, or an animated GIF.
    func image(for request: DigitRequest, model: TrainedModel) async throws -> (data: Data, contentType: String) {
        try await behindGate(on: queue, cost: request.cost(timesteps: model.schedule.steps)) { try Self.render(model, request) }
    }

    /// Runs one sampling job behind the gate (a refusal is a 503), on `queue` so the event loops stay free, and
    /// then hands the heap pages it freed back to the system. Generations and canvas edits both come through here.
    /// `cost`: the job's size in images times model calls, from which the gate estimates how long it will run.
    func behindGate<T: Sendable>(on queue: DispatchQueue, cost: Double, _ job: @escaping @Sendable () throws -> T) async throws -> T {
        let ticket = try await enterGate(cost: cost)
        defer { Task { await gate.leave(ticket) } }
        return try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try job() })
                Self.returnFreedMemory()
            }
        }
    }

    /// Hands the heap pages a sampling freed back to the system. Under overload, answered and refused requests
    /// interleave on many connections and glibc's heap fragments: resident memory rose 18% before it levelled
    /// off (scripts/overload.sh). Trimming after each sampling costs well under a millisecond against ~130 ms.
    static func returnFreedMemory() {
        #if canImport(Glibc)
        _ = mallocTrim?(0)
        #endif
    }

    #if canImport(Glibc)
    /// glibc's `malloc_trim(size_t)`, looked up at run time (it is not in the Glibc module): nil elsewhere.
    private static let mallocTrim: (@convention(c) (Int) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)
    }()
    #endif

    static func render(_ model: TrainedModel, _ request: DigitRequest) throws -> (data: Data, contentType: String) {
        let every = request.animate ? 1 : max(request.settings.stepCount(timesteps: model.schedule.steps) / 10, 1)
        let (images, trajectory) = try model.generate(labels: request.digits, settings: request.settings, seed: request.seed,
                                                      recordEvery: request.trajectory || request.animate ? every : 0)
        if request.animate {
            let frames = DiffusionFigures.animationFrames(trajectory, final: images, count: request.digits.count, scale: request.scale)
            return (try GIFCodec.encode(frames, delay: max(4, min(50, 400 / max(frames.count, 1)))), "image/gif")
        }
        let image: GrayImage
        if request.trajectory {
            // x_t from noise (left) to the final digit (right), for each requested digit.
            let n = request.digits.count
            var tiles: [Tensor] = []
            for i in 0..<n {
                for f in trajectory.frames { tiles.append(f.sample.narrow(axis: 0, start: i, length: 1)) }
                tiles.append(images.narrow(axis: 0, start: i, length: 1))
            }
            image = ImageGrid.make(images: Tensor.concat(tiles, axis: 0).clamped(-1, 1).scalars, count: tiles.count, height: 28, width: 28,
                                   columns: trajectory.frames.count + 1, range: -1...1, scale: request.scale, padding: 0)
        } else {
            image = ImageGrid.make(images: images.clamped(-1, 1).scalars, count: request.digits.count, height: 28, width: 28,
                                   columns: request.digits.count, range: -1...1, scale: request.scale, padding: 0)
        }
        return (try image.pngData(), "image/png")
    }
}
