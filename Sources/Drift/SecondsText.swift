/// Signed seconds for people: `+300.0 ms`, `-1.25 s`, `+42 µs`.
public enum SecondsText {
    public static func format(_ seconds: Double, signed: Bool = true) -> String {
        let sign = signed ? (seconds < 0 ? "-" : "+") : (seconds < 0 ? "-" : "")
        let a = abs(seconds)
        if a >= 1 { return sign + fixed(a, 3) + " s" }
        if a >= 0.001 { return sign + fixed(a * 1000, 1) + " ms" }
        return sign + fixed(a * 1_000_000, 0) + " µs"
    }

    /// `x` with exactly `places` decimals, without Foundation.
    static func fixed(_ x: Double, _ places: Int) -> String {
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let scaled = (x * scale).rounded()
        guard scaled.magnitude < 9e15 else { return String(x) }
        let whole = Int64(scaled) / Int64(scale)
        let fraction = Int64(scaled) % Int64(scale)
        if places == 0 { return String(whole) }
        let digits = String(fraction)
        return "\(whole)." + String(repeating: "0", count: places - digits.count) + digits
    }
}
