// PII redaction cases: e-mail addresses, phone numbers in common national and international shapes,
// and card numbers, which are redacted only when their Luhn checksum holds (the test card numbers
// are the card networks' published test numbers; the invalid ones differ in the last digit).
import Testing
@testable import QuillAssistant

@Suite("PII redaction")
struct PIIRedactorTests {
    static let cases: [(String, String)] = [
        ("Write to ada.lovelace@example.com today", "Write to [email] today"),
        ("a+tag@mail.co.uk,b@x.io", "[email],[email]"),
        ("Visa 4111 1111 1111 1111 on file", "Visa [card] on file"),
        ("card 4111-1111-1111-1111.", "card [card]."),
        ("card 4111111111111111", "card [card]"),
        ("Amex 378282246310005", "Amex [card]"),
        ("MC 5555555555554444", "MC [card]"),
        ("order 4111111111111112 shipped", "order 4111111111111112 shipped"),      // Luhn fails: not a card
        ("ref 1234 5678 9012 3456", "ref 1234 5678 9012 3456"),                   // Luhn fails
        ("call +44 20 7946 0958 now", "call [phone] now"),
        ("call +1 (555) 123-4567", "call [phone]"),
        ("US (555) 123-4567 or 555.123.4567", "US [phone] or [phone]"),
        ("Berlin 030 1234567", "Berlin [phone]"),
        ("mobile 0171-1234567", "mobile [phone]"),
        ("on 2026-12-03 at 10:30", "on 2026-12-03 at 10:30"),                   // dates are not phones
        ("version 1.2.3, 42 tokens, 3.14159", "version 1.2.3, 42 tokens, 3.14159"),
        ("room 12345", "room 12345"),
        ("mail bob@example.org, phone +49 30 1234567, card 5555 5555 5555 4444",
         "mail [email], phone [phone], card [card]"),
        ("", ""),
    ]

    @Test(arguments: cases)
    func redacts(_ input: String, _ expected: String) {
        #expect(PIIRedactor.redact(input) == expected)
    }

    /// Luhn by hand: 79927398713 is the textbook valid number (sum 70); changing its check digit breaks it.
    @Test func luhn() {
        #expect(PIIRedactor.luhnValid("79927398713"))
        #expect(!PIIRedactor.luhnValid("79927398710"))
        #expect(PIIRedactor.luhnValid("4111 1111 1111 1111"))
        #expect(!PIIRedactor.luhnValid("4111 1111 1111 1112"))
        #expect(!PIIRedactor.luhnValid("7"))
    }

    @Test func redactionIsIdempotent() {
        for (input, _) in Self.cases {
            let once = PIIRedactor.redact(input)
            #expect(PIIRedactor.redact(once) == once, "\(input)")
        }
    }
}
