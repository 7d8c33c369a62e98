/// Why a regular expression was refused or a match was abandoned.
public enum BoundedRegexError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The pattern does not compile; `offset` is the character offset PCRE2 stopped at.
    case invalid(pattern: String, offset: Int, reason: String)
    /// The pattern is longer than `BoundedRegex.Limits.patternLength` characters.
    case tooLong(pattern: String, length: Int, limit: Int)
    /// One match needed more work than the limits allow (catastrophic backtracking); `subjectLength` is the
    /// length in bytes of the text being matched, `limit` says which limit and its value.
    case tooMuchWork(pattern: String, subjectLength: Int, limit: String)
    /// PCRE2 reported another matching error (its message).
    case matchFailed(pattern: String, reason: String)

    public var description: String {
        switch self {
        case .invalid(let pattern, let offset, let reason):
            return "bad regular expression '\(pattern)': \(reason) at offset \(offset)"
        case .tooLong(let pattern, let length, let limit):
            return "the regular expression '\(pattern.prefix(60))...' is \(length) characters long; at most \(limit) are allowed"
        case .tooMuchWork(let pattern, let subjectLength, let limit):
            return "the regular expression '\(pattern)' needs more than \(limit) to match a \(subjectLength)-byte text"
                + " (nested quantifiers backtrack without end; simplify the pattern)"
        case .matchFailed(let pattern, let reason):
            return "the regular expression '\(pattern)' could not be matched: \(reason)"
        }
    }
}
