import FlotillaCore
import Foundation

/// What is wrong with a saved plan file that cannot be read, said in the operator's terms: not UTF-8, cut off
/// (truncated), not JSON (with the offset and line), not a plan at all, a plan of another format version, or
/// one field that does not hold what it should (named by its path, `plans[3].changes[0].action`).
/// `PlanFile.decode` reports each as `PlanError.damagedPlanFile`, never as raw decoder text.
enum PlanFileDamage {
    /// The problem with `data` as a plan file of `version`, or nil when its syntax and header are fine
    /// (field errors are found by decoding; see `describe(_:)`).
    static func check(_ data: Data, version: Int) -> String? {
        let bytes = [UInt8](data)
        if bytes.allSatisfy({ JSONSyntax.isSpace($0) }) { return "truncated: the file is empty" }
        if let invalid = UTF8Text.firstInvalid(bytes) { return invalid.description }
        if let problem = JSONSyntax.check(bytes) { return problem.description }
        guard bytes.first(where: { !JSONSyntax.isSpace($0) }) == UInt8(ascii: "{") else {
            return "not a Flotilla plan file: a JSON \(JSONSyntax.kind(of: bytes)), not an object"
        }
        struct Header: Decodable { var formatVersion: Int? }
        guard let header = try? JSONDecoder().decode(Header.self, from: data) else {
            return "bad field at formatVersion: expected an integer"
        }
        guard let found = header.formatVersion else {
            return "not a Flotilla plan file: a JSON object without 'formatVersion'"
        }
        guard found == version else {
            return "wrong version: format version \(found); this Flotilla reads version \(version)"
        }
        return nil
    }

    /// ISO 8601 dates as `.iso8601` reads them, but a bad one is an error at its own field (Foundation's
    /// strategy reports it at the top level).
    static let iso8601 = JSONDecoder.DateDecodingStrategy.custom { decoder in
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let date = try? Date(text, strategy: .iso8601) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "'\(text.prefix(40))' is not an ISO 8601 date and time")
        }
        return date
    }

    /// A decoding error of a file whose syntax and header are fine, as `bad field at PATH: ...`.
    static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "unreadable (\(type(of: error)))" }
        switch error {
        case .typeMismatch(let type, let context):
            return "bad field at \(path(context.codingPath)): expected \(name(of: type))"
        case .valueNotFound(let type, let context):
            return "bad field at \(path(context.codingPath)): null where \(name(of: type)) is needed"
        case .keyNotFound(let key, let context):
            return "bad field at \(path(context.codingPath + [key])): missing"
        case .dataCorrupted(let context):
            return "bad field at \(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "unreadable"
        }
    }

    /// `plans[3].changes[0].action`; the whole file is `the top level`.
    static func path(_ keys: [any CodingKey]) -> String {
        var out = ""
        for key in keys {
            if let index = key.intValue {
                out += "[\(index)]"
            } else {
                out += (out.isEmpty ? "" : ".") + key.stringValue
            }
        }
        return out.isEmpty ? "the top level" : out
    }

    static func name(of type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Bool.Type: return "true or false"
        case is Int.Type, is Int64.Type, is UInt64.Type, is Int32.Type: return "an integer"
        case is Double.Type, is Float.Type: return "a number"
        case is Date.Type: return "a date"
        default:
            let text = String(describing: type)
            if text.hasPrefix("Array<") { return "a list" }
            if text.hasPrefix("Dictionary<") { return "an object" }
            return "a \(text)"
        }
    }
}

/// A JSON syntax check that says where the text stops being JSON, or that it stops too early. It keeps its
/// own stack (no recursion), so any depth of nesting costs memory in proportion to the input, never the
/// thread's stack.
enum JSONSyntax {
    struct Problem: Error, Sendable, Hashable, CustomStringConvertible {
        var offset: Int
        var line: Int
        /// The input ended inside a value.
        var truncated: Bool
        var expected: String
        var found: String

        var description: String {
            truncated
                ? "truncated: the JSON stops at offset \(offset) (line \(line)) where \(expected) should follow"
                : "not JSON at offset \(offset) (line \(line)): expected \(expected), found \(found)"
        }
    }

    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }

    /// "object", "list", "string", "number", "boolean" or "null", by the first byte of the value.
    static func kind(of bytes: [UInt8]) -> String {
        switch bytes.first(where: { !isSpace($0) }) {
        case UInt8(ascii: "{"): return "object"
        case UInt8(ascii: "["): return "list"
        case UInt8(ascii: "\""): return "string"
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return "boolean"
        case UInt8(ascii: "n"): return "null"
        default: return "number"
        }
    }

    private enum Expect {
        case value, valueOrClose, key, keyOrClose, colon, commaOrClose, end
    }

    /// The first problem of `b` as one JSON text, or nil when it is one.
    static func check(_ b: [UInt8]) -> Problem? {
        var i = 0
        var line = 1
        var stack: [UInt8] = []
        var expect = Expect.value
        let n = b.count

        func found(_ at: Int) -> String {
            let c = b[at]
            if c >= 0x21 && c < 0x7F { return "'\(Character(Unicode.Scalar(c)))'" }
            let hex = String(c, radix: 16, uppercase: true)
            return "byte 0x\(hex.count < 2 ? "0" + hex : hex)"
        }
        func wanted(_ e: Expect) -> String {
            switch e {
            case .value, .valueOrClose: return e == .value ? "a value" : "a value or ']'"
            case .key: return "a quoted field name"
            case .keyOrClose: return "a quoted field name or '}'"
            case .colon: return "':'"
            case .commaOrClose: return stack.last == UInt8(ascii: "{") ? "',' or '}'" : "',' or ']'"
            case .end: return "the end of the file"
            }
        }
        func problem(_ at: Int, _ what: String) -> Problem {
            at >= n
                ? Problem(offset: n, line: line, truncated: true, expected: what, found: "the end of the file")
                : Problem(offset: at, line: line, truncated: false, expected: what, found: found(at))
        }
        func afterValue() -> Expect { stack.isEmpty ? .end : .commaOrClose }
        /// Scans a string starting at its quote; the offset after it, or a problem.
        func string(_ start: Int) -> Result<Int, Problem> {
            var j = start + 1
            while j < n {
                switch b[j] {
                case UInt8(ascii: "\""): return .success(j + 1)
                case UInt8(ascii: "\\"):
                    guard j + 1 < n else { return .failure(problem(n, "an escaped character")) }
                    let e = b[j + 1]
                    if e == UInt8(ascii: "u") {
                        for k in 2...5 {
                            guard j + k < n else { return .failure(problem(n, "four hexadecimal digits")) }
                            guard (Character(Unicode.Scalar(b[j + k]))).isHexDigit else {
                                return .failure(problem(j + k, "a hexadecimal digit"))
                            }
                        }
                        j += 6
                    } else if Array("\"\\/bfnrt".utf8).contains(e) {
                        j += 2
                    } else {
                        return .failure(problem(j + 1, "an escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u)"))
                    }
                case 0x00..<0x20:
                    return .failure(problem(j, "a character of the string (control characters must be escaped)"))
                default:
                    j += 1
                }
            }
            return .failure(problem(n, "the rest of the string and its closing '\"'"))
        }
        func digits(_ from: Int) -> Int {
            var j = from
            while j < n, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b[j]) { j += 1 }
            return j
        }
        /// Scans a number; the offset after it, or a problem.
        func number(_ start: Int) -> Result<Int, Problem> {
            var j = start
            if b[j] == UInt8(ascii: "-") { j += 1 }
            guard j < n else { return .failure(problem(n, "a digit")) }
            if b[j] == UInt8(ascii: "0") {
                j += 1
            } else {
                let end = digits(j)
                guard end > j else { return .failure(problem(j, "a digit")) }
                j = end
            }
            if j < n, b[j] == UInt8(ascii: ".") {
                let end = digits(j + 1)
                guard end > j + 1 else { return .failure(problem(j + 1, "a digit after '.'")) }
                j = end
            }
            if j < n, b[j] == UInt8(ascii: "e") || b[j] == UInt8(ascii: "E") {
                j += 1
                if j < n, b[j] == UInt8(ascii: "+") || b[j] == UInt8(ascii: "-") { j += 1 }
                let end = digits(j)
                guard end > j else { return .failure(problem(j, "a digit of the exponent")) }
                j = end
            }
            return .success(j)
        }

        while true {
            while i < n, isSpace(b[i]) {
                if b[i] == 0x0A { line += 1 }
                i += 1
            }
            if i == n { return expect == .end ? nil : problem(n, wanted(expect)) }
            let c = b[i]
            switch expect {
            case .end:
                return problem(i, wanted(.end))
            case .colon:
                guard c == UInt8(ascii: ":") else { return problem(i, wanted(.colon)) }
                i += 1
                expect = .value
            case .commaOrClose:
                if c == UInt8(ascii: ",") {
                    i += 1
                    expect = stack.last == UInt8(ascii: "{") ? .key : .value
                } else if (c == UInt8(ascii: "}") && stack.last == UInt8(ascii: "{"))
                    || (c == UInt8(ascii: "]") && stack.last == UInt8(ascii: "["))
                {
                    stack.removeLast()
                    i += 1
                    expect = afterValue()
                } else {
                    return problem(i, wanted(.commaOrClose))
                }
            case .key, .keyOrClose:
                if expect == .keyOrClose, c == UInt8(ascii: "}") {
                    stack.removeLast()
                    i += 1
                    expect = afterValue()
                    continue
                }
                guard c == UInt8(ascii: "\"") else { return problem(i, wanted(expect)) }
                switch string(i) {
                case .success(let end): i = end
                case .failure(let p): return p
                }
                expect = .colon
            case .value, .valueOrClose:
                if expect == .valueOrClose, c == UInt8(ascii: "]") {
                    stack.removeLast()
                    i += 1
                    expect = afterValue()
                    continue
                }
                switch c {
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    stack.append(c)
                    i += 1
                    expect = c == UInt8(ascii: "{") ? .keyOrClose : .valueOrClose
                    continue
                case UInt8(ascii: "\""):
                    switch string(i) {
                    case .success(let end): i = end
                    case .failure(let p): return p
                    }
                case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                    switch number(i) {
                    case .success(let end): i = end
                    case .failure(let p): return p
                    }
                    // A number cut off by the end of the file inside a container is truncated.
                    if i == n, !stack.isEmpty { return problem(n, wanted(.commaOrClose)) }
                default:
                    let words: [UInt8: String] = [UInt8(ascii: "t"): "true", UInt8(ascii: "f"): "false", UInt8(ascii: "n"): "null"]
                    guard let word = words[c] else { return problem(i, wanted(expect)) }
                    let w = Array(word.utf8)
                    var k = 0
                    while k < w.count, i + k < n, b[i + k] == w[k] { k += 1 }
                    guard k == w.count else {
                        return problem(i + k, i + k >= n ? "the rest of '\(word)'" : "'\(word)'")
                    }
                    i += k
                }
                expect = afterValue()
            }
        }
    }
}
