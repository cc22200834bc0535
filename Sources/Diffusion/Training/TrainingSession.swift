import Foundation
import TensorCore

/// Training stopped because the loss stopped being a number.
public struct NonFiniteLossError: Error, CustomStringConvertible {
    public let step: Int
    public let value: Float
    public var detail: String? = nil
    public var description: String {
        "training stopped at step \(step): " + (detail ?? "the loss is \(value)") +
            ". The last good checkpoint was kept; try a new run with a lower --lr."
    }
}

/// Everything that changes while a model trains: the model, Adam's moments, the EMA of the weights, the
/// step counter, the loss history and the random generators. A checkpoint saves all of it, so a resumed run
/// continues exactly as an uninterrupted one would.
public final class TrainingSession<Model: Module> {
    public let model: Model
    public let optimizer: Adam
    public let ema: EMA?
    public var schedule: LearningRateSchedule
    /// Noise, timesteps and label dropout come from here.
    public var rng: SeededGenerator
    /// Dropout masks come from here (shared with the model's dropout layers).
    public let dropout: RandomSource
    public private(set) var step = 0
    public private(set) var losses: [Float] = []
    /// Memory of large tensors, reused from step to step (see `StoragePool`).
    let storagePool = StoragePool()

    public init(model: Model, optimizer: Adam, schedule: LearningRateSchedule, ema: EMA?, rng: SeededGenerator, dropout: RandomSource) {
        self.model = model
        self.optimizer = optimizer
        self.schedule = schedule
        self.ema = ema
        self.rng = rng
        self.dropout = dropout
    }

    /// One optimization step on the loss that `lossFunction` records. Returns the loss value.
    @discardableResult
    public func train(_ lossFunction: (Model, inout SeededGenerator) -> Tensor) throws -> Float {
        try train(microBatches: 1) { model, _, rng in lossFunction(model, &rng) }
    }

    /// One optimization step on `k` micro-batches (gradient accumulation): `lossFunction(model, j, &rng)` is the
    /// mean loss of micro-batch j. Each one's graph is freed after its backward pass, so memory is that of one
    /// micro-batch, and the gradients add up in the parameters (`backward` accumulates):
    ///     g = sum_j grad(L_j / k) = grad((1/k) sum_j L_j)
    /// which, for equal micro-batches and a mean loss, is the gradient of the whole batch. Then one Adam step.
    /// Returns the mean of the k losses.
    @discardableResult
    public func train(microBatches k: Int, _ lossFunction: (Model, Int, inout SeededGenerator) -> Tensor) throws -> Float {
        precondition(k >= 1, "TrainingSession.train: microBatches must be at least 1, got \(k)")
        return try StoragePool.$current.withValue(storagePool) {
            model.train()
            optimizer.learningRate = schedule.rate(at: step)
            optimizer.zeroGrad()
            var total: Float = 0
            for j in 0..<k {
                let loss = lossFunction(model, j, &rng)
                let value = loss.item
                guard value.isFinite else { throw NonFiniteLossError(step: step, value: value) }
                (k == 1 ? loss : loss * (1 / Float(k))).backward()
                total += value
            }
            optimizer.step()
            ema?.update()
            step += 1
            let mean = total / Float(k)
            losses.append(mean)
            return mean
        }
    }

    /// Mean loss of the last `n` steps.
    public func recentLoss(_ n: Int = 50) -> Float {
        let tail = losses.suffix(n)
        return tail.isEmpty ? .nan : tail.reduce(0, +) / Float(tail.count)
    }

    /// The weights to sample with: the EMA average when there is one, else the live weights.
    public func samplingWeights(into target: Model) {
        if let ema { ema.copy(to: target.parameters) } else {
            for (t, p) in zip(target.parameters, model.parameters) { t.assign(p.value) }
        }
        for (t, b) in zip(target.namedBuffers(), model.namedBuffers()) { t.parameter.assign(b.parameter.value) }
    }

    // MARK: Checkpoints

    /// Everything needed to resume, as safetensors: `model.*`, `ema.*`, `optimizer.*`, `log.loss`, and in the
    /// metadata the step and generator states. `metadata` adds the caller's entries (config, recipe, ...).
    public func checkpoint(metadata: [String: String] = [:]) -> SafeTensors {
        var file = SafeTensors()
        for (name, p) in model.stateDict() { file.set("model." + name, p.value) }
        if let ema {
            for ((name, _), s) in zip(model.namedParameters(), ema.shadow) { file.set("ema." + name, s) }
        }
        for (name, t) in optimizer.stateTensors() { file.set("optimizer." + name, t) }
        file.set("log.loss", Tensor(shape: [losses.count], scalars: losses))
        file.metadata = metadata
        file.metadata["step"] = String(step)
        file.metadata["rng"] = Self.encode(rng.state)
        file.metadata["dropout_rng"] = Self.encode(dropout.generator.state)
        if let ema { file.metadata["ema_updates"] = String(ema.updates) }
        return file
    }

    /// Restores a `checkpoint()` into this session (model, optimizer, EMA, step, generators, loss log).
    public func resume(from file: SafeTensors) throws {
        try model.load(from: file.subset(prefix: "model."), prefix: "")
        var optimizerState: [String: Tensor] = [:]
        for name in file.names where name.hasPrefix("optimizer.") {
            optimizerState[String(name.dropFirst("optimizer.".count))] = try file.tensor(name)
        }
        try optimizer.loadState(optimizerState)
        if let ema {
            let shadows = try model.namedParameters().map { try file.tensor("ema." + $0.name) }
            ema.load(shadows, updates: Int(file.metadata["ema_updates"] ?? "") ?? 0)
        }
        guard let stepText = file.metadata["step"], let savedStep = Int(stepText),
              let r = file.metadata["rng"].flatMap(Self.decode), let d = file.metadata["dropout_rng"].flatMap(Self.decode) else {
            throw CheckpointError.missingMetadata(source: file.source, key: "step, rng or dropout_rng")
        }
        step = savedStep
        rng = SeededGenerator(state: r)
        dropout.generator = SeededGenerator(state: d)
        losses = (try? file.floats("log.loss").values) ?? []
    }

    static func encode(_ s: (UInt64, UInt64, UInt64, UInt64)) -> String { "\(s.0),\(s.1),\(s.2),\(s.3)" }
    static func decode(_ text: String) -> (UInt64, UInt64, UInt64, UInt64)? {
        let parts = text.split(separator: ",").compactMap { UInt64($0) }
        guard parts.count == 4, parts.contains(where: { $0 != 0 }) else { return nil }
        return (parts[0], parts[1], parts[2], parts[3])
    }
}
