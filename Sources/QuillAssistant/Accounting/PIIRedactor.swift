// Personal data out of text before it reaches a log line or the feedback store: e-mail addresses,
// card numbers (13–19 digits, kept only when the Luhn checksum holds, so order numbers survive) and
// phone numbers (international "+…", North American "(555) 123-4567", national "030 1234567").
import Foundation

/// Replaces e-mail addresses, card numbers and phone numbers with `[email]`, `[card]` and `[phone]`.
///
/// ```swift
/// PIIRedactor.redact("Mail ada@example.com or call +44 20 7946 0958")
/// // "Mail [email] or call [phone]"
/// ```
public enum PIIRedactor {
    public static let emailPlaceholder = "[email]", cardPlaceholder = "[card]", phonePlaceholder = "[phone]"

    // Patterns are literals of this file, so compiling them cannot fail on user input.
    private static let email = pattern(#"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"#)
    /// 13–19 digits, optionally grouped by single spaces or hyphens.
    private static let card = pattern(#"(?<![\d\w])\d(?:[ \-]?\d){12,18}(?![\d\w])"#)
    private static let phones = [
        pattern(#"(?<![\w+])\+\d{1,3}(?:[ .\-]?\(?\d{1,5}\)?){1,5}(?!\w)"#),              // +44 20 7946 0958
        pattern(#"(?<![\w(])(?:\(\d{3}\)\s?|\d{3}[ .\-])\d{3}[ .\-]\d{4}(?!\w)"#),        // (555) 123-4567, 555-123-4567
        pattern(#"(?<![\w])0\d{2,4}[ /\-]\d{3,8}(?:[ \-]\d{2,6})?(?!\w)"#),                // 030 1234567, 0171-1234567
    ]

    private static func pattern(_ source: String) -> NSRegularExpression {
        try! NSRegularExpression(pattern: source)
    }

    /// `text` with every detected item replaced by its placeholder.
    public static func redact(_ text: String) -> String {
        var out = replace(email, in: text) { _ in emailPlaceholder }
        out = replace(card, in: out) { luhnValid($0) ? cardPlaceholder : nil }
        for phone in phones {
            out = replace(phone, in: out) { match in
                let digits = match.filter(\.isNumber).count
                return (7...15).contains(digits) ? phonePlaceholder : nil
            }
        }
        return out
    }

    /// True when the digits of `text` (other characters ignored) pass the Luhn mod-10 check.
    public static func luhnValid(_ text: String) -> Bool {
        let digits = text.compactMap { $0.wholeNumberValue }
        guard digits.count >= 2 else { return false }
        var sum = 0
        for (i, d) in digits.reversed().enumerated() {
            if i % 2 == 1 { sum += d * 2 > 9 ? d * 2 - 9 : d * 2 } else { sum += d }
        }
        return sum % 10 == 0
    }

    /// Replaces each match for which `replacement` gives a string, keeping the others.
    private static func replace(_ regex: NSRegularExpression, in text: String, _ replacement: (String) -> String?) -> String {
        let ns = text as NSString
        var out = "", last = 0
        for match in regex.matches(in: text, range: NSRange(location: 0, length: ns.length)) {
            let found = ns.substring(with: match.range)
            guard let substitute = replacement(found) else { continue }
            out += ns.substring(with: NSRange(location: last, length: match.range.location - last)) + substitute
            last = match.range.location + match.range.length
        }
        return out + ns.substring(from: last)
    }
}
