import Foundation

/// Quoting for the remote POSIX shell: the one place where strings become shell words.
public enum ShellQuote {
    /// Characters that never need quoting in a POSIX shell word.
    private static let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@%_-+=:,./")

    /// Quotes one word so that the shell reads it back byte for byte.
    public static func quote(_ word: String) -> String {
        if !word.isEmpty, word.allSatisfy({ safe.contains($0) }) { return word }
        return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// Quotes every word and joins them with spaces.
    public static func join(_ words: [String]) -> String {
        words.map(quote).joined(separator: " ")
    }
}
