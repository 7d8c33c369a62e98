/// Strict reading of one comma-separated line of `chronyc -c` output: every field is checked and named, so that
/// odd input gives a "cannot read" naming the field instead of a wrong number.
struct CSVFields {
    let command: String
    let line: Int
    let names: [String]
    let values: [Substring]

    init(_ text: Substring, names: [String], command: String, line: Int) throws(DriftError) {
        self.command = command
        self.line = line
        self.names = names
        var body = text
        if body.last == "\r" { body = body.dropLast() }
        values = body.split(separator: ",", omittingEmptySubsequences: false)
        if values.count < names.count {
            let missing = names[values.count]
            throw .cannotRead(
                command: command, line: line, field: missing, value: String(body.suffix(40)),
                reason: "the line has \(values.count) of \(names.count) fields (truncated)", host: nil)
        }
        if values.count > names.count {
            throw .cannotRead(
                command: command, line: line, field: "field \(names.count + 1)", value: String(values[names.count]),
                reason: "the line has \(values.count) fields, \(names.count) expected (extra fields)", host: nil)
        }
    }

    private func fail(_ index: Int, _ reason: String) -> DriftError {
        .cannotRead(command: command, line: line, field: names[index], value: String(values[index]), reason: reason, host: nil)
    }

    func string(_ index: Int) -> String { String(values[index]) }

    func nonEmpty(_ index: Int) throws(DriftError) -> String {
        guard !values[index].isEmpty else { throw fail(index, "empty") }
        return String(values[index])
    }

    /// A finite decimal number within ±`HostNumber.maxMagnitude` (chrony prints `%.9f`-style values; no hex,
    /// no inf or nan).
    func double(_ index: Int, nonNegative: Bool = false) throws(DriftError) -> Double {
        let value: Double
        switch HostNumber.read(values[index]) {
        case .success(let v): value = v
        case .failure(let refusal): throw fail(index, String(refusal.reason.dropFirst("is ".count)))
        }
        if nonNegative && value < 0 { throw fail(index, "negative") }
        return value
    }

    func int(_ index: Int, range: ClosedRange<Int>) throws(DriftError) -> Int {
        let text = values[index]
        let digits = text.first == "-" || text.first == "+" ? text.dropFirst() : text
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber), let value = Int(text) else {
            throw fail(index, "not an integer")
        }
        guard range.contains(value) else { throw fail(index, "outside \(range.lowerBound)...\(range.upperBound)") }
        return value
    }

    func unsigned32(_ index: Int) throws(DriftError) -> UInt32 {
        let text = values[index]
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }), let value = UInt32(text) else {
            throw fail(index, "not an unsigned 32-bit integer")
        }
        return value
    }

    func hex32(_ index: Int) throws(DriftError) -> UInt32 {
        let text = values[index]
        guard text.count == 8, text.allSatisfy(\.isHexDigit), let value = UInt32(text, radix: 16) else {
            throw fail(index, "not 8 hexadecimal digits")
        }
        return value
    }

    func octal(_ index: Int, max: Int) throws(DriftError) -> Int {
        let text = values[index]
        guard !text.isEmpty, text.allSatisfy({ ("0"..."7").contains($0) }), let value = Int(text, radix: 8) else {
            throw fail(index, "not an octal number")
        }
        guard value <= max else { throw fail(index, "above \(String(max, radix: 8)) (octal)") }
        return value
    }

    func oneOf<T>(_ index: Int, _ table: [String: T]) throws(DriftError) -> T {
        guard let value = table[String(values[index])] else {
            throw fail(index, "not one of " + table.keys.sorted().joined(separator: ", "))
        }
        return value
    }
}

/// The non-empty lines of a command's output with their 1-based line numbers.
func numberedLines(_ text: String) -> [(number: Int, text: Substring)] {
    text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().compactMap { index, line in
        line.allSatisfy(\.isWhitespace) ? nil : (index + 1, line)
    }
}
