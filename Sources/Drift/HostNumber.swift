/// Numbers a host prints are untrusted input: a broken or hostile host can print `inf`, `nan`, `1e300` or a
/// thousand digits where a clock reading belongs. Every number Drift reads from a host goes through here, so
/// that what reaches the verdict, the renderers and the history is finite and in a range where arithmetic on
/// it (differences, sums, conversions to integers for display) cannot overflow or trap.
public enum HostNumber {
    /// The largest magnitude accepted for a number of seconds (a clock reading, an offset, a delay) or of ppm
    /// a host prints: 1e12 s is about 31,700 years, far beyond any real clock or offset, and small enough that
    /// sums and differences of such values stay exact enough and finite.
    public static let maxMagnitude = 1e12

    /// The longest text read as a number: a clock reading `seconds.nanoseconds` has about 20 characters.
    public static let maxLength = 64

    /// Why `text` is not an acceptable number, as the end of a sentence naming it ("now is not a finite
    /// number"); nil when it is one. Only plain decimal notation is read (`[+-]digits[.digits][e[+-]digits]`).
    public static func problem(_ text: Substring) -> String? {
        if text.isEmpty { return "is empty" }
        if text.count > maxLength { return "is not a number (\(text.count) characters, at most \(maxLength))" }
        let lowered = text.lowercased()
        if lowered.contains("inf") || lowered.contains("nan") { return "is not a finite number" }
        let allowed = Set("0123456789.-+eE")
        guard text.allSatisfy({ allowed.contains($0) }), let value = Double(text) else { return "is not a decimal number" }
        guard value.isFinite else { return "is not a finite number" }
        guard abs(value) <= maxMagnitude else { return "is out of range (beyond ±1e12)" }
        return nil
    }

    /// The number in `text`, or the reason it is refused (see `problem`).
    public static func read(_ text: Substring) -> Result<Double, Refusal> {
        if let reason = problem(text) { return .failure(Refusal(reason: reason)) }
        return .success(Double(text)!)
    }

    /// Why a number was refused.
    public struct Refusal: Error, Sendable, Hashable {
        public var reason: String
    }
}
