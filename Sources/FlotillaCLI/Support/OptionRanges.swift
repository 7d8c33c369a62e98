import ArgumentParser
import FlotillaCore

/// The range of every numeric option, in one place; docs/limits.md lists them. A value outside is refused in
/// `validate()` with a message naming the option, before anything runs.
enum OptionRange {
    /// `run --timeout`, `--connect-timeout`: more than 0, at most 30 days.
    static let timeout = DurationText.Bounds.positive(atMost: .seconds(30 * 86400))
    /// `apply --lock-wait`: 0 (do not wait) to 30 days.
    static let lockWait = DurationText.Bounds.nonNegative(atMost: .seconds(30 * 86400))
    /// `audit --max-offset`, `--critical`: more than 0, at most 1 day.
    static let threshold = DurationText.Bounds.positive(atMost: .seconds(86400))
    /// `audit --history --since`: more than 0, at most 3650 days.
    static let since = DurationText.Bounds.positive(atMost: DurationText.ceiling)
    /// `--forks`: hosts worked on at once.
    static let forks = 1...10_000
    /// `audit --samples`: 0 means no cross-check.
    static let samples = 0...100
    /// `runs --last`.
    static let last = 1...100_000

    /// The duration `text` gives, or a ValidationError naming `option` and its range.
    static func duration(_ text: String, option: String, _ bounds: DurationText.Bounds) throws -> Duration {
        switch DurationText.read(text, within: bounds) {
        case .success(let d): return d
        case .failure(let refusal): throw ValidationError("\(option): \(refusal).")
        }
    }

    /// Refuses `value` outside `range`, naming `option`; `note` says what a bound means (`0: no cross-check`).
    static func check(_ value: Int, option: String, _ range: ClosedRange<Int>, note: String = "") throws {
        guard range.contains(value) else {
            throw ValidationError("\(option) must be \(range.lowerBound) to \(range.upperBound)\(note.isEmpty ? "" : " (\(note))"), not \(value).")
        }
    }
}
