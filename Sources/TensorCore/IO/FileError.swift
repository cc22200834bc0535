/// An error about one file (or bytes in memory): which file, and why.
///
/// Each file format of the project has one error type shaped like this (``SafeTensorsError`` here; gzip, IDX,
/// MNIST and PNG in Diffusion), whose `Reason` enum lists what can go wrong with that format. The description
/// always starts with the file, then says what is wrong: `x.gz: not gzip data (missing the 1f 8b magic number)`.
/// A conforming type supplies `explanation`; `description` comes from the protocol extension.
public protocol FileError: Error, CustomStringConvertible {
    /// What can be wrong, with the values needed to explain it.
    associatedtype Reason: Equatable, Sendable

    /// The file path as shown to the user, or `<memory>`.
    var source: String { get }
    /// What is wrong.
    var reason: Reason { get }
    /// `reason` in words, without the file: the part of `description` after `source: `.
    var explanation: String { get }
}

extension FileError {
    /// `source: explanation`.
    public var description: String { "\(source): \(explanation)" }
}
