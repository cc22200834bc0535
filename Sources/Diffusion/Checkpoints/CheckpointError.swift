import TensorCore

/// A model file or training checkpoint that this command cannot use: not one of this project's, a model of
/// another kind, or other classes. Follows the project's `FileError` convention: the file first, then why,
/// e.g. `m.safetensors: has 11 class embeddings, the model being trained has 1; --init-from needs the same classes`.
public struct CheckpointError: FileError, Equatable {
    public enum Reason: Equatable, Sendable {
        /// The metadata lacks `key` (`recipe`, ...): not written by this project's training.
        case missingMetadata(key: String)
        /// A model of another kind than the command needs.
        case wrongModel(expected: String, found: String)
        /// Fine-tuning needs the same class embeddings (counts include the null class; 0: unconditional).
        case classCount(expected: Int, found: Int)
    }

    public let source: String
    public let reason: Reason

    public init(source: String, reason: Reason) {
        self.source = source
        self.reason = reason
    }

    public var explanation: String {
        switch reason {
        case let .missingMetadata(key): "not a training checkpoint of this project (metadata '\(key)' missing)"
        case let .wrongModel(expected, found): "holds a \(found) model, this command needs a \(expected)"
        case let .classCount(expected, found):
            "has \(found) class embeddings, the model being trained has \(expected); --init-from needs the same classes"
        }
    }

    public static func missingMetadata(source: String, key: String) -> CheckpointError {
        CheckpointError(source: source, reason: .missingMetadata(key: key))
    }

    public static func wrongModel(source: String, expected: String, found: String) -> CheckpointError {
        CheckpointError(source: source, reason: .wrongModel(expected: expected, found: found))
    }

    public static func classCount(source: String, expected: Int, found: Int) -> CheckpointError {
        CheckpointError(source: source, reason: .classCount(expected: expected, found: found))
    }
}
