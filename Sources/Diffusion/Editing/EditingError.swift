/// An edit asked for with a value out of range. The description names the setting (without the command line's
/// dashes or the service's quotes, which callers add), its range and the value given.
public enum EditingError: Error, Equatable, CustomStringConvertible {
    /// SDEdit's strength s must be in (0, 1]: 0 would be no edit at all, 1 is pure noise.
    case strength(Float)
    /// A class outside 0..<classes (the null class is asked for with `nil`, not a number).
    case label(Int, classes: Int)
    /// The images and the mask (or the labels) disagree in shape or count.
    case shape(String)
    /// RePaint's resampling count u must be in 1...maxResampling.
    case resampling(Int)
    case sampling(SamplingError)

    public static let maxResampling = 20

    public var description: String {
        switch self {
        case let .strength(s): "strength must be in (0, 1] (0: no change, 1: from pure noise), got \(s)"
        case let .label(c, classes): "class must be in 0...\(classes - 1), got \(c)"
        case let .shape(what): what
        case let .resampling(u): "resample must be in 1...\(Self.maxResampling) (1: no resampling), got \(u)"
        case let .sampling(error): "\(error)"
        }
    }
}
