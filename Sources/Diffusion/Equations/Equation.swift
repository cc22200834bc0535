/// A sum to draw: "12+30" read, computed and written out as "12+30=42", for `Conditional generate --equation`.
/// Whole numbers and + - * / with the usual precedence (* and / first, then left to right); the answer is
/// exact (fractions are kept as fractions) and is written as a whole number, or as a decimal when it ends
/// within 3 places (7/2 = 3.5). Everything else is an ``EquationError`` that says what is wrong.
public struct Equation: Sendable, Equatable {
    /// What was typed, spaces removed: "12+30".
    public let expression: String
    /// The answer as drawn: "42", "-3", "3.5".
    public let answer: String

    public static let maxLength = 24
    public static let maxDecimals = 3

    /// The whole line: "12+30=42".
    public var text: String { expression + "=" + answer }
    /// The digits of `text`, left to right: the images to generate.
    public var digits: [Int] { text.compactMap(\.wholeNumberValue) }

    public init(_ typed: String) throws(EquationError) {
        let text = typed.filter { $0 != " " }
        guard !text.isEmpty else { throw .empty }
        guard text.count <= Self.maxLength else { throw .tooLong(text.count) }
        if let bad = text.first(where: { !($0.isASCII && ($0.isNumber || "+-*/".contains($0))) }) { throw .unsupported(bad) }
        // Tokens: numbers separated by single operators.
        var numbers: [Fraction] = [], operators: [Character] = [], current = ""
        for c in text {
            if c.isNumber { current.append(c); continue }
            guard !current.isEmpty else { throw .malformed(text) }
            guard let n = Int(current) else { throw .overflow }
            numbers.append(Fraction(n)); operators.append(c); current = ""
        }
        guard !current.isEmpty else { throw .malformed(text) }
        guard let last = Int(current) else { throw .overflow }
        numbers.append(Fraction(last))
        // * and / first, left to right
        var terms = [numbers[0]], signs: [Character] = []
        for (op, n) in zip(operators, numbers.dropFirst()) {
            switch op {
            case "*": terms[terms.count - 1] = try terms[terms.count - 1].times(n)
            case "/":
                guard n.numerator != 0 else { throw .divisionByZero }
                terms[terms.count - 1] = try terms[terms.count - 1].times(Fraction(n.denominator, n.numerator))
            default: terms.append(n); signs.append(op)
            }
        }
        var total = terms[0]
        for (op, term) in zip(signs, terms.dropFirst()) { total = try total.plus(op == "+" ? term : term.negated()) }
        expression = text
        answer = try total.decimal(places: Self.maxDecimals)
    }
}

/// Why an equation cannot be drawn.
public enum EquationError: Error, Equatable, CustomStringConvertible {
    case empty, tooLong(Int), unsupported(Character), malformed(String), divisionByZero, overflow, endless(String)

    public var description: String {
        switch self {
        case .empty: "the equation is empty; write one like 12+30"
        case let .tooLong(n): "the equation has \(n) characters; at most \(Equation.maxLength)"
        case let .unsupported(c): "'\(c)' is not allowed; use whole numbers and + - * / (the = and the answer are added)"
        case let .malformed(t): "'\(t)' is not numbers separated by single operators, e.g. 12+30 or 6*7-2"
        case .divisionByZero: "division by zero"
        case .overflow: "the numbers grow too large to compute"
        case let .endless(t): "the answer \(t)... does not end within \(Equation.maxDecimals) decimal places"
        }
    }
}

/// An exact fraction numerator / denominator (denominator > 0, lowest terms); overflow is an error.
struct Fraction: Equatable {
    var numerator: Int, denominator: Int

    init(_ n: Int, _ d: Int = 1) {
        let g = Swift.max(Fraction.gcd(Swift.abs(n), Swift.abs(d)), 1)
        numerator = (d < 0 ? -n : n) / g
        denominator = Swift.abs(d) / g
    }

    static func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }

    func negated() -> Fraction { Fraction(-numerator, denominator) }

    func times(_ o: Fraction) throws(EquationError) -> Fraction {
        let (n, o1) = numerator.multipliedReportingOverflow(by: o.numerator)
        let (d, o2) = denominator.multipliedReportingOverflow(by: o.denominator)
        guard !o1 && !o2 else { throw .overflow }
        return Fraction(n, d)
    }

    func plus(_ o: Fraction) throws(EquationError) -> Fraction {
        let (a, o1) = numerator.multipliedReportingOverflow(by: o.denominator)
        let (b, o2) = o.numerator.multipliedReportingOverflow(by: denominator)
        let (d, o3) = denominator.multipliedReportingOverflow(by: o.denominator)
        let (n, o4) = a.addingReportingOverflow(b)
        guard !(o1 || o2 || o3 || o4) else { throw .overflow }
        return Fraction(n, d)
    }

    /// "42", "-3", "3.5"; an error if more than `places` decimals would be needed.
    func decimal(places: Int) throws(EquationError) -> String {
        let whole = Swift.abs(numerator) / denominator
        var rest = Swift.abs(numerator) % denominator
        var text = (numerator < 0 ? "-" : "") + String(whole)
        if rest == 0 { return text }
        text += "."
        for _ in 0..<places where rest != 0 {
            let (r, overflow) = rest.multipliedReportingOverflow(by: 10)
            guard !overflow else { throw .overflow }
            rest = r
            text += String(rest / denominator)
            rest %= denominator
        }
        guard rest == 0 else { throw .endless(text) }
        return text
    }
}
