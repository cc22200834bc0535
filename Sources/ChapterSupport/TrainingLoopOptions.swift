import ArgumentParser

/// What a chapter says about its own training loop: the default number of epochs and the wording of the help
/// texts that depend on what is trained (one model or two, on all of MNIST or a part).
public protocol TrainingLoopDefaults {
    /// The default of `--epochs`.
    static var epochs: Int { get }
    /// The help of `--epochs`.
    static var epochsHelp: String { get }
    /// The help of `--lr`.
    static var lrHelp: String { get }
    /// The help of `--minutes`.
    static var minutesHelp: String { get }
}

/// The options of a plain training loop with Adam at a constant learning rate (chapters 1 and 2): how many
/// epochs or minutes, how many images per step, what learning rate. `Defaults` is the chapter's wording.
public struct TrainingLoopOptions<Defaults: TrainingLoopDefaults>: ParsableArguments {
    @Option(help: ArgumentHelp(Defaults.epochsHelp))
    public var epochs = Defaults.epochs

    @Option(help: "Images per training step.")
    public var batchSize = 128

    @Option(help: ArgumentHelp(Defaults.lrHelp))
    public var lr: Float = 1e-3

    @Option(help: ArgumentHelp(Defaults.minutesHelp))
    public var minutes: Double?

    public init() {}

    public func validate() throws {
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1, got \(epochs)") }
        guard batchSize >= 1 && batchSize <= 4096 else { throw ValidationError("--batch-size must be in 1...4096, got \(batchSize)") }
        guard lr > 0 && lr.isFinite else { throw ValidationError("--lr must be a positive number, got \(lr)") }
        if let minutes, !(minutes > 0) { throw ValidationError("--minutes must be positive, got \(minutes)") }
    }
}
