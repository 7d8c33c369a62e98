/// Parses human durations: `500ms`, `1s`, `1.5s`, `2m`, `24h`, `3d`, or a bare number of seconds.
///
/// This is the one place duration text becomes a `Duration`. The number is read exactly as decimal text (an
/// optional exponent is allowed: `1e3s`), scaled to nanoseconds with overflow checked and rounded to the nearest
/// nanosecond, then held to the caller's `Bounds`: no text can trap, and `1e10`, `inf` or `nan` are refused
/// with a reason instead of becoming a Duration nobody meant.
public enum DurationText {
    /// The longest duration any text may give, whatever the option: 3650 days (about ten years). Every
    /// option has its own range within it (see docs/limits.md).
    public static let ceiling: Duration = .seconds(3650 * 86400)

    /// The range an option accepts: from `minimum` (included or not) to `maximum` (included).
    public struct Bounds: Sendable, Hashable, CustomStringConvertible {
        public var minimum: Duration
        public var minimumIncluded: Bool
        public var maximum: Duration

        public init(minimum: Duration = .zero, minimumIncluded: Bool = true, maximum: Duration = DurationText.ceiling) {
            self.minimum = minimum
            self.minimumIncluded = minimumIncluded
            self.maximum = min(maximum, DurationText.ceiling)
        }

        /// More than zero and at most `maximum`.
        public static func positive(atMost maximum: Duration) -> Bounds {
            Bounds(minimum: .zero, minimumIncluded: false, maximum: maximum)
        }

        /// Zero or more and at most `maximum`.
        public static func nonNegative(atMost maximum: Duration) -> Bounds {
            Bounds(minimum: .zero, minimumIncluded: true, maximum: maximum)
        }

        public func contains(_ d: Duration) -> Bool {
            (minimumIncluded ? d >= minimum : d > minimum) && d <= maximum
        }

        /// `more than 0 and at most 30d`.
        public var description: String {
            let low = minimumIncluded ? (minimum == .zero ? "0 or more" : "at least \(DurationText.compact(minimum))") : "more than \(DurationText.compact(minimum))"
            return "\(low) and at most \(DurationText.compact(maximum))"
        }
    }

    /// Why a text is not an acceptable duration.
    public enum Refusal: Error, Sendable, Hashable, CustomStringConvertible {
        /// The text is not a number with an optional unit (`inf`, `nan`, `0x10`, `5 minutes`).
        case notADuration(text: String)
        /// The text is a duration (possibly a negative or enormous one) outside the option's range.
        case outOfRange(text: String, bounds: Bounds)

        public var description: String {
            switch self {
            case .notADuration(let text):
                "'\(text.prefix(40))' is not a duration (a number and a unit: 500ms, 30s, 2m, 24h, 7d)"
            case .outOfRange(let text, let bounds):
                "'\(text.prefix(40))' is out of range: it must be \(bounds)"
            }
        }
    }

    /// Nanoseconds per unit, longest suffix first where one ends another (`ms` before `s`).
    static let units: [(suffix: String, nanoseconds: Int128)] = [
        ("ms", 1_000_000), ("us", 1_000), ("µs", 1_000), ("ns", 1), ("s", 1_000_000_000), ("m", 60_000_000_000),
        ("h", 3_600_000_000_000), ("d", 86_400_000_000_000),
    ]

    /// Reads `text` as a duration within `bounds`.
    public static func read(_ text: String, within bounds: Bounds = Bounds()) -> Result<Duration, Refusal> {
        let t = text.trimmingWhitespace()
        var number = Substring(t)
        var scale: Int128 = 1_000_000_000
        for unit in units where t.hasSuffix(unit.suffix) {
            number = number.dropLast(unit.suffix.count)
            scale = unit.nanoseconds
            break
        }
        guard let (negative, nanoseconds) = exactNanoseconds(number, scale: scale) else { return .failure(.notADuration(text: t)) }
        // Anything beyond Int64 nanoseconds is far outside every range (the ceiling is 3650 days).
        guard nanoseconds <= Int128(Int64.max) else { return .failure(.outOfRange(text: t, bounds: bounds)) }
        let d = Duration.nanoseconds(negative ? -Int64(nanoseconds) : Int64(nanoseconds))
        guard bounds.contains(d) else { return .failure(.outOfRange(text: t, bounds: bounds)) }
        return .success(d)
    }

    /// A duration from text within the widest bounds (0 to `ceiling`); nil when refused.
    public static func parse(_ text: String) -> Duration? {
        try? read(text).get()
    }

    /// `[+-]digits[.digits][e[+-]digits]` times `scale` nanoseconds, rounded to the nearest nanosecond, exactly;
    /// saturates at Int128's range (far beyond any bound). Nil when the text is not such a number.
    static func exactNanoseconds(_ text: Substring, scale: Int128) -> (negative: Bool, nanoseconds: Int128)? {
        var rest = text
        var negative = false
        if let sign = rest.first, sign == "+" || sign == "-" {
            negative = sign == "-"
            rest = rest.dropFirst()
        }
        var mantissa = rest
        var exponent = 0
        if let e = rest.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = rest[..<e]
            var exp = rest[rest.index(after: e)...]
            var expNegative = false
            if let sign = exp.first, sign == "+" || sign == "-" {
                expNegative = sign == "-"
                exp = exp.dropFirst()
            }
            guard !exp.isEmpty, exp.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            // Exponents beyond a few digits only say "enormous" or "zero".
            let value = exp.count > 4 ? 10_000 : Int(exp)!
            exponent = expNegative ? -value : value
        }
        let parts = mantissa.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let whole = parts[0]
        let fraction = parts.count > 1 ? parts[1] : ""
        guard !(whole.isEmpty && fraction.isEmpty),
              whole.allSatisfy({ $0.isASCII && $0.isNumber }), fraction.allSatisfy({ $0.isASCII && $0.isNumber })
        else { return nil }
        // Significant digits and their power of ten.
        var digits = Substring(String(whole) + String(fraction))
        var power = exponent - fraction.count
        while digits.first == "0" { digits = digits.dropFirst() }
        if digits.isEmpty { return (negative, 0) }
        while digits.last == "0" { digits = digits.dropLast(); power += 1 }
        // 24 significant digits are more than any duration in nanoseconds needs; the rest only rounds.
        if digits.count > 24 {
            power += digits.count - 24
            digits = digits.prefix(24)
        }
        let saturated = Int128.max
        var value: Int128 = 0
        for d in digits { value = value * 10 + Int128(d.wholeNumberValue!) }
        // value < 1e24 and scale <= 8.64e13: the product fits Int128 (about 1.7e38).
        value *= scale
        if power >= 0 {
            for _ in 0..<power {
                let (next, overflow) = value.multipliedReportingOverflow(by: 10)
                if overflow { return (negative, saturated) }
                value = next
            }
            return (negative, value)
        }
        let shift = -power
        if shift > 38 { return (negative, 0) }
        var divisor: Int128 = 1
        for _ in 0..<shift { divisor *= 10 }
        return (negative, (value + divisor / 2) / divisor)
    }

    /// A duration as the shortest exact text with a unit: `30d`, `1h`, `50ms`, `1500ms`, `7ns`.
    public static func compact(_ d: Duration) -> String {
        let (seconds, attoseconds) = d.components
        let ns = Int128(seconds) * 1_000_000_000 + Int128(attoseconds / 1_000_000_000)
        for (suffix, scale) in [("d", 86_400_000_000_000), ("h", 3_600_000_000_000), ("m", 60_000_000_000), ("s", 1_000_000_000), ("ms", 1_000_000), ("us", 1_000)] as [(String, Int128)]
        where ns != 0 && ns % scale == 0 {
            return "\(ns / scale)\(suffix)"
        }
        return ns == 0 ? "0" : "\(ns)ns"
    }

    /// Renders a duration compactly: `1.2 s`, `35 ms`, `820 µs`.
    public static func format(_ d: Duration) -> String {
        let s = d.seconds
        if abs(s) >= 1 { return "\(round(s, 2)) s" }
        if abs(s) >= 0.001 { return "\(round(s * 1000, 1)) ms" }
        return "\(round(s * 1_000_000, 0)) µs"
    }

    private static func round(_ x: Double, _ places: Int) -> String {
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let v = (x * scale).rounded() / scale
        if places == 0 { return String(Int(v)) }
        return String(v)
    }
}

extension Duration {
    /// The duration in seconds as a Double.
    public var seconds: Double {
        let (s, attos) = components
        return Double(s) + Double(attos) / 1e18
    }
}

extension StringProtocol {
    package func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
