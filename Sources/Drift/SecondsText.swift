/// Signed seconds for people: `+300.0 ms`, `-1.25 s`, `+42 µs`.
public enum SecondsText {
    public static func format(_ seconds: Double, signed: Bool = true) -> String {
        let a = abs(seconds)
        let (digits, unit) = a >= 1 ? (fixed(a, 3), " s") : a >= 0.001 ? (fixed(a * 1000, 1), " ms") : (fixed(a * 1_000_000, 0), " µs")
        // A value that rounds to zero gets no sign ("0 µs", never "-0 µs").
        let zero = digits.allSatisfy { $0 == "0" || $0 == "." }
        let sign = zero ? "" : seconds < 0 ? "-" : signed ? "+" : ""
        return sign + digits + unit
    }

    /// `x` with exactly `places` decimals, without Foundation.
    public static func fixed(_ x: Double, _ places: Int) -> String {
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let scaled = (abs(x) * scale).rounded()
        guard scaled < 9e15 else { return String(x) }
        let units = Int64(scaled)
        let whole = units / Int64(scale)
        let fraction = units % Int64(scale)
        let sign = x < 0 && units != 0 ? "-" : ""
        if places == 0 { return sign + String(whole) }
        let digits = String(fraction)
        return sign + "\(whole)." + String(repeating: "0", count: places - digits.count) + digits
    }
}
