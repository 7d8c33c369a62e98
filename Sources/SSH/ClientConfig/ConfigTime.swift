/// OpenSSH time values (`convtime`): a number of seconds, or a sequence such as `1h30m` with the units
/// s, m, h, d, w (either case).
enum ConfigTime {
    /// Seconds, or nil for a malformed value.
    static func seconds(_ text: String) -> Int? {
        guard !text.isEmpty else { return nil }
        var total = 0
        var number: Int?
        for c in text {
            if let digit = c.wholeNumberValue, c.isASCII {
                let (times, o1) = (number ?? 0).multipliedReportingOverflow(by: 10)
                let (plus, o2) = times.addingReportingOverflow(digit)
                guard !o1, !o2, plus <= Int(Int32.max) else { return nil }
                number = plus
                continue
            }
            guard let n = number else { return nil }
            let unit: Int
            switch c {
            case "s", "S": unit = 1
            case "m", "M": unit = 60
            case "h", "H": unit = 3600
            case "d", "D": unit = 86400
            case "w", "W": unit = 604_800
            default: return nil
            }
            total += n * unit
            guard total <= Int(Int32.max) else { return nil }
            number = nil
        }
        total += number ?? 0
        return total <= Int(Int32.max) ? total : nil
    }
}
