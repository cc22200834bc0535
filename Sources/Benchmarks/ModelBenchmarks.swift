import ChapterSupport
import Diffusion
import Foundation
import TensorCore

/// One measured number.
struct Measurement: Codable {
    var name: String
    var value: Double
    var unit: String
}

/// The chapter models, as the chapters build them.
enum ChapterModel: String, CaseIterable {
    /// narrow: what `Conditional train` trains by default (the 15-minute recipe), at its batch of 64.
    case basic, unet2d, ddpm, conditional, narrow

    func make() -> any DenoisingModel {
        var rng = SeededGenerator(seed: 0)
        switch self {
        case .basic: return BasicUNet(rng: &rng)
        case .unet2d: return UNet2DModel(UNetPreset.course.config(), rng: &rng)
        case .ddpm: return UNet2DModel(UNetPreset.cpu.config(), rng: &rng)
        case .conditional: return UNet2DModel(UNetPreset.cpu.config(classes: 11), rng: &rng)
        case .narrow: return UNet2DModel(UNetPreset.narrow.config(classes: 11), rng: &rng)
        }
    }

    var isConditional: Bool { self == .conditional || self == .narrow }
    /// The batch its chapter trains with.
    var trainingBatch: Int { self == .narrow ? 64 : 128 }
}

/// A chapter model with Adam and a fixed random batch: one call of `step()` is one training step.
struct TrainingStepFixture {
    let model: any DenoisingModel
    let optimizer: Adam
    let x: Tensor
    let t: [Float]
    let labels: [Int]?
    /// As in TrainingSession: tensor memory reused across steps.
    let pool = StoragePool()

    init(_ which: ChapterModel, batch: Int) {
        model = which.make()
        optimizer = Adam(model.parameters, learningRate: 1e-4)
        var rng = SeededGenerator(seed: 1)
        x = Tensor.randomNormal([batch, 1, 28, 28], using: &rng)
        t = (0..<batch).map { _ in Float(rng.next() % 1000) }
        labels = which.isConditional ? (0..<batch).map { $0 % 11 } : nil
        model.train()
    }

    /// Forward, backward and Adam; `profiler` (if any) is told where the optimizer's time starts.
    func step(profiler: Profiler? = nil) {
        StoragePool.$current.withValue(pool) {
            profiler?.resetClock()
            optimizer.zeroGrad()
            let loss = Tensor.mseLoss(model(x, timesteps: t, classLabels: labels), x)
            loss.backward()
            profiler?.resetClock()
            optimizer.step()
            profiler?.mark("adam")
        }
    }
}

enum ModelBenchmarks {
    /// Per-op time of `steps` training steps (after one untimed warm-up step).
    static func profile(_ which: ChapterModel, steps: Int) -> Profiler {
        let fixture = TrainingStepFixture(which, batch: which.trainingBatch)
        fixture.step()
        let profiler = Profiler()
        Profiler.$current.withValue(profiler) {
            for _ in 0..<steps { fixture.step(profiler: profiler) }
        }
        return profiler
    }

    /// Per-op time of `steps` sampling forward passes (batch `batch`, no autodiff graph), as in `run`.
    static func profileSampling(_ which: ChapterModel, steps: Int, batch: Int = 100) -> Profiler {
        let fixture = TrainingStepFixture(which, batch: 128)
        let labels = which.isConditional ? (0..<batch).map { $0 % 10 } : nil
        let profiler = Profiler()
        withSamplingPasses(fixture.model, batch: batch, labels: labels) { forward in
            Profiler.$current.withValue(profiler) {
                for _ in 0..<steps {
                    profiler.resetClock()
                    forward()
                }
            }
        }
        return profiler
    }

    /// Training img/s (forward + backward + Adam, at the chapter's batch) and sampling img/s (forward, no graph,
    /// batch 100).
    static func run(_ which: ChapterModel, steps: Int, sampleBatch: Int = 100) -> [Measurement] {
        let batch = which.trainingBatch
        let fixture = TrainingStepFixture(which, batch: batch)
        for _ in 0..<2 { fixture.step() }
        let (_, trainSeconds) = timed { for _ in 0..<steps { fixture.step() } }
        let sampleLabels = which.isConditional ? (0..<sampleBatch).map { $0 % 10 } : nil
        let forward = forwardImagesPerSecond(fixture.model, batch: sampleBatch, repeats: steps, labels: sampleLabels)
        return [
            Measurement(name: "\(which.rawValue).train", value: Double(steps * batch) / trainSeconds, unit: "img/s"),
            Measurement(name: "\(which.rawValue).sample", value: forward, unit: "img/s"),
            Measurement(name: "\(which.rawValue).parameters", value: Double(fixture.model.parameterCount), unit: "count"),
        ]
    }
}

/// Peak resident memory of this process so far (VmHWM), in MB.
func peakMemoryMB() -> Double { procStatusMB("VmHWM:") }

/// Resident memory now (VmRSS), in MB.
func residentMemoryMB() -> Double { procStatusMB("VmRSS:") }

func procStatusMB(_ key: String) -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix(key) }),
          let kb = Double(line.split(separator: " ").dropFirst().first ?? "") else { return .nan }
    return kb / 1024
}

enum SamplingMemory {
    /// Resident memory after 10 and after `steps` sampling steps of the conditional model with guidance
    /// (batch 100): a leak or a graph kept per step shows up as growth.
    static func run(steps: Int = 200) -> [Measurement] {
        var rng = SeededGenerator(seed: 0)
        let model = UNet2DModel(UNetPreset.cpu.config(classes: 11), rng: &rng)
        let sampler = DDIMSampler(schedule: NoiseSchedule(.linear), inferenceSteps: steps)
        var after10 = 0.0, after = 0.0
        // Read inside the loop: once sampling returns, its storage pool is released.
        _ = sampleImages(model: model, sampler: sampler, shape: [100, 1, 28, 28], labels: (0..<100).map { $0 % 10 },
                         guidance: ClassifierFreeGuidance(scale: 2, nullClass: 10), rng: &rng) { done, total in
            if done == 10 { after10 = residentMemoryMB() }
            if done == total { after = residentMemoryMB() }
        }
        return [Measurement(name: "sampling.rss_after_10_steps", value: after10, unit: "MB"),
                Measurement(name: "sampling.rss_after_\(steps)_steps", value: after, unit: "MB")]
    }
}
