// A system prompt that can carry today's date: `{date}` in the text becomes the date (ISO 8601, as
// `2026-03-14`), `{{date}}` stays a literal `{date}`; `--system-date` appends the date when the text has no
// placeholder. The date comes from the caller's clock and time zone so tests and replays are reproducible.
import Foundation

public enum SystemPrompt {
    /// The placeholder replaced by the date.
    public static let placeholder = "{date}"

    /// `date` as `YYYY-MM-DD` in `timeZone`.
    public static func dateText(_ date: Date, timeZone: TimeZone = .current) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let c = calendar.dateComponents([.year, .month, .day], from: date)
        func pad(_ n: Int) -> String { n < 10 ? "0\(n)" : String(n) }
        return "\(c.year!)-\(pad(c.month!))-\(pad(c.day!))"
    }

    /// Replaces every `{date}` with the date; `{{date}}` is an escaped, literal `{date}`.
    public static func expand(_ text: String, date: Date, timeZone: TimeZone = .current) -> String {
        let escaped = String(Unicode.Scalar(0xFDD2)!)   // a noncharacter no prompt carries
        let day = dateText(date, timeZone: timeZone)
        return text.replacingOccurrences(of: "{{date}}", with: escaped)
            .replacingOccurrences(of: placeholder, with: day)
            .replacingOccurrences(of: escaped, with: placeholder)
    }

    /// The prompt for `--system-date`: `{date}` expanded, or when the text has none, the date appended on
    /// its own line ("Today's date is 2026-03-14."). An empty text becomes just that line.
    public static func withDate(_ text: String, date: Date, timeZone: TimeZone = .current) -> String {
        if text.contains(placeholder) { return expand(text, date: date, timeZone: timeZone) }
        let line = "Today's date is \(dateText(date, timeZone: timeZone))."
        return text.isEmpty ? line : text + "\n" + line
    }

    /// What a chat front-end sends as the system message: `text` with `{date}` expanded, plus the date
    /// line when `appendDate` is set (`--system-date`); nil when there is no text and no date to give.
    public static func resolve(_ text: String?, appendDate: Bool = false, date: Date = Date(),
                               timeZone: TimeZone = .current) -> String? {
        guard let text else { return appendDate ? withDate("", date: date, timeZone: timeZone) : nil }
        return appendDate ? withDate(text, date: date, timeZone: timeZone) : expand(text, date: date, timeZone: timeZone)
    }
}
