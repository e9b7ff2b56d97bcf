// Why a billing or feedback store, a price table or a keys file could not be used: one typed error
// for the accounting layer, each case naming the file and what to do about it.
import Foundation

public enum AccountingError: Error, CustomStringConvertible, Equatable {
    /// No store at this path (reading never creates one).
    case storeNotFound(path: String)
    /// Not an SQLite database, or a damaged one.
    case corruptStore(path: String, reason: String)
    /// A valid SQLite database that another program (or another Quill store kind) wrote.
    case foreignDatabase(path: String, reason: String)
    /// Written by a newer Quill (migrations this build does not know).
    case unknownSchema(path: String, migrations: [String])
    /// A price table, keys file or feedback value that cannot be used.
    case invalidFile(path: String, reason: String)
    case invalidValue(String)

    public var description: String {
        switch self {
        case .storeNotFound(let path):
            return "\(path): no Quill billing/feedback store there (`quill serve --billing-db/--feedback-db \(path)` creates one)"
        case .corruptStore(let path, let reason):
            return "\(path): not a readable Quill billing/feedback store (\(reason))"
        case .foreignDatabase(let path, let reason):
            return "\(path): an SQLite database that is not a Quill billing/feedback store (\(reason)); choose another path"
        case .unknownSchema(let path, let migrations):
            return "\(path): written by a newer Quill (unknown migrations \(migrations)); update Quill"
        case .invalidFile(let path, let reason):
            return "\(path): \(reason)"
        case .invalidValue(let message):
            return message
        }
    }
}
