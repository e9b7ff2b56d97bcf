// A system prompt that may carry today's date, as chat front-ends give assistants one: `{date}` in the
// text becomes the date, and `--system-date` adds a "Today's date is ..." line. Dates are written as
// "2 December 2026" (unambiguous in any locale), in the user's time zone unless one is given.
import Foundation

public enum SystemPrompt {
    /// `text` with every `{date}` replaced by `date`, plus "Today's date is DATE." when `appendDate` is
    /// set (alone when `text` is nil); nil when there is nothing to say.
    public static func expand(_ text: String?, appendDate: Bool = false, date: Date = Date(),
                              timeZone: TimeZone = .current) -> String? {
        let today = formatted(date, timeZone: timeZone)
        var out = text?.replacingOccurrences(of: "{date}", with: today)
        if appendDate {
            let line = "Today's date is \(today)."
            out = out.map { $0.isEmpty ? line : $0 + "\n" + line } ?? line
        }
        return out
    }

    /// "2 December 2026".
    public static func formatted(_ date: Date, timeZone: TimeZone = .current) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = timeZone
        formatter.dateFormat = "d MMMM yyyy"
        return formatter.string(from: date)
    }
}
