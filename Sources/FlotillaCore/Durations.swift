/// Parses human durations: `500ms`, `1s`, `1.5s`, `2m`, `24h`, `3d`, or a bare number of seconds.
public enum DurationText {
    public static func parse(_ text: String) -> Duration? {
        let t = text.trimmingWhitespace()
        let units: [(String, Double)] = [("ms", 0.001), ("us", 0.000_001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)]
        for (suffix, scale) in units where t.hasSuffix(suffix) {
            let number = t.dropLast(suffix.count)
            guard let value = Double(number), value >= 0, value.isFinite else { return nil }
            return .nanoseconds(Int64((value * scale * 1e9).rounded()))
        }
        guard let value = Double(t), value >= 0, value.isFinite else { return nil }
        return .nanoseconds(Int64((value * 1e9).rounded()))
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
