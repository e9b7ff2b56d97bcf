// The calculator tool's evaluator: arithmetic over Double by recursive descent (no `eval`, no code run),
// with + - * / % ^ (right-associative, above unary minus as in maths: -2^2 = -4), parentheses, the
// constants pi and e and a few one-argument functions. Input length and nesting are bounded.
import Foundation

/// Why an expression cannot be evaluated; `offset` is the character where the problem is.
public struct CalculatorError: Error, CustomStringConvertible, Equatable {
    public var offset: Int
    public var reason: String
    public var description: String { "\(reason) at character \(offset + 1)" }
}

/// Evaluates arithmetic expressions.
///
/// ```swift
/// try Calculator.evaluate("2 * (3 + 4) ^ 2")   // 98
/// try Calculator.evaluate("sqrt(2) * pi")        // 4.442882938158366
/// ```
public struct Calculator {
    public static let maxLength = 1000
    public static let maxDepth = 64
    static let functions: [String: (Double) -> Double] = [
        "sqrt": { $0.squareRoot() }, "abs": { Swift.abs($0) }, "exp": { Foundation.exp($0) }, "ln": { Foundation.log($0) },
        "log": { Foundation.log10($0) }, "log2": { Foundation.log2($0) }, "sin": { Foundation.sin($0) }, "cos": { Foundation.cos($0) },
        "tan": { Foundation.tan($0) }, "floor": { Foundation.floor($0) }, "ceil": { Foundation.ceil($0) }, "round": { Foundation.round($0) },
    ]
    static let constants: [String: Double] = ["pi": Double.pi, "e": M_E]

    private let text: [Character]
    private var i = 0
    private var depth = 0

    private init(_ expression: String) { text = Array(expression) }

    /// The value of `expression`; throws ``CalculatorError`` for anything malformed or not finite.
    public static func evaluate(_ expression: String) throws(CalculatorError) -> Double {
        guard expression.count <= maxLength else { throw CalculatorError(offset: maxLength, reason: "expression longer than \(maxLength) characters") }
        var parser = Calculator(expression)
        let value = try parser.sum()
        parser.skipSpaces()
        guard parser.i == parser.text.count else { throw parser.error("unexpected '\(parser.text[parser.i])'") }
        guard value.isFinite else { throw CalculatorError(offset: 0, reason: "the result is not a finite number (division by zero?)") }
        return value
    }

    /// The value formatted as people write it: integers without ".0", others with up to 12 significant digits.
    public static func format(_ value: Double) -> String {
        if value == value.rounded(), Swift.abs(value) < 1e15 { return String(Int64(value)) }
        return String(format: "%.12g", value)
    }

    private func error(_ reason: String) -> CalculatorError { CalculatorError(offset: i, reason: reason) }

    private mutating func skipSpaces() { while i < text.count, text[i].isWhitespace { i += 1 } }

    private mutating func peek() -> Character? { skipSpaces(); return i < text.count ? text[i] : nil }

    // sum := product (("+" | "-") product)*
    private mutating func sum() throws(CalculatorError) -> Double {
        var value = try product()
        while let c = peek(), c == "+" || c == "-" {
            i += 1
            let rhs = try product()
            value = c == "+" ? value + rhs : value - rhs
        }
        return value
    }

    // product := unary (("*" | "/" | "%") unary)*
    private mutating func product() throws(CalculatorError) -> Double {
        var value = try unary()
        while let c = peek(), c == "*" || c == "/" || c == "%" || c == "×" || c == "÷" {
            i += 1
            let rhs = try unary()
            switch c {
            case "*", "×": value *= rhs
            case "/", "÷": value /= rhs
            default: value = value.truncatingRemainder(dividingBy: rhs)
            }
        }
        return value
    }

    // unary := ("-" | "+") unary | power
    private mutating func unary() throws(CalculatorError) -> Double {
        if let c = peek(), c == "-" || c == "+" {
            i += 1
            let v = try nested { (p: inout Calculator) throws(CalculatorError) in try p.unary() }
            return c == "-" ? -v : v
        }
        return try power()
    }

    // power := atom ("^" unary)?      (right-associative: 2^3^2 = 2^9)
    private mutating func power() throws(CalculatorError) -> Double {
        let base = try atom()
        guard peek() == "^" else { return base }
        i += 1
        let exponent = try nested { (p: inout Calculator) throws(CalculatorError) in try p.unary() }
        return Foundation.pow(base, exponent)
    }

    // atom := number | "(" sum ")" | constant | function "(" sum ")"
    private mutating func atom() throws(CalculatorError) -> Double {
        guard let c = peek() else { throw error("the expression ends where a number was expected") }
        if c == "(" {
            i += 1
            let v = try nested { (p: inout Calculator) throws(CalculatorError) in try p.sum() }
            guard peek() == ")" else { throw error("missing ')'") }
            i += 1
            return v
        }
        if c.isNumber || c == "." { return try number() }
        if c.isLetter {
            let start = i
            while i < text.count, text[i].isLetter || text[i].isNumber { i += 1 }
            let name = String(text[start..<i]).lowercased()
            if let value = Self.constants[name] { return value }
            guard let f = Self.functions[name] else {
                throw CalculatorError(offset: start, reason: "unknown name '\(name)' (functions: \(Self.functions.keys.sorted().joined(separator: ", ")); constants: pi, e)")
            }
            guard peek() == "(" else { throw error("'\(name)' needs its argument in parentheses") }
            return f(try atom())
        }
        throw error("unexpected '\(c)'")
    }

    private mutating func number() throws(CalculatorError) -> Double {
        let start = i
        while i < text.count, text[i].isASCII, text[i].isNumber || text[i] == "." || text[i] == "_" { i += 1 }
        if i < text.count, text[i] == "e" || text[i] == "E", i + 1 < text.count,
           text[i + 1].isNumber || ((text[i + 1] == "-" || text[i + 1] == "+") && i + 2 < text.count && text[i + 2].isNumber) {
            i += 2
            while i < text.count, text[i].isASCII, text[i].isNumber { i += 1 }
        }
        let literal = String(text[start..<i]).replacingOccurrences(of: "_", with: "")
        guard let value = Double(literal) else { throw CalculatorError(offset: start, reason: "'\(literal)' is not a number") }
        return value
    }

    private mutating func nested(_ body: (inout Calculator) throws(CalculatorError) -> Double) throws(CalculatorError) -> Double {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maxDepth else { throw error("nested deeper than \(Self.maxDepth) levels") }
        return try body(&self)
    }
}
