import CPCRE2

/// A regular expression in Python `re` syntax (PCRE2, which Python's syntax is closest to) whose every match does
/// bounded work: a pattern that would backtrack without end (`(a+)+$`) is an error naming the pattern, never a hang.
///
/// Patterns are compiled as UTF-8 with Unicode properties (`\d`, `\w`, `\s` match as in Python 3's `str` patterns).
/// `search` is `re.search` (the pattern may match anywhere; `^` anchors it to the start), `matchesPrefix` is
/// `re.match` (the match must start at the beginning, as Ansible's `~pattern` host selection does).
/// Differences from Python that remain: `\Z` also matches before a final newline, `{,n}` is literal text.
public struct BoundedRegex: Sendable, CustomStringConvertible {
    /// The work one match may do. docs/limits.md states these.
    public struct Limits: Sendable, Hashable {
        /// PCRE2's match limit: how many times one match may backtrack (call its internal match function).
        public var steps: UInt32
        /// PCRE2's depth limit: how deeply backtracking points may nest.
        public var depth: UInt32
        /// PCRE2's heap limit, in KiB: the memory one match may use for backtracking.
        public var heapKiB: UInt32
        /// The longest pattern accepted, in bytes of UTF-8.
        public var patternLength: Int

        public init(steps: UInt32, depth: UInt32, heapKiB: UInt32, patternLength: Int) {
            self.steps = steps
            self.depth = depth
            self.heapKiB = heapKiB
            self.patternLength = patternLength
        }

        /// One million steps, 100,000 nested backtracking points, 64 MiB, and 10,000-byte patterns.
        public static let standard = Limits(steps: 1_000_000, depth: 100_000, heapKiB: 65_536, patternLength: 10_000)
    }

    /// The pattern as written.
    public let pattern: String
    public let limits: Limits
    private let compiled: Compiled

    /// Compiles `pattern`; throws `.invalid` with PCRE2's reason and offset, or `.tooLong`.
    public init(_ pattern: String, limits: Limits = .standard) throws(BoundedRegexError) {
        self.pattern = pattern
        self.limits = limits
        self.compiled = try Compiled(pattern, limits: limits)
    }

    public var description: String { pattern }

    /// Python's `re.search(pattern, subject) is not None`.
    public func search(_ subject: String) throws(BoundedRegexError) -> Bool {
        try compiled.match(subject, options: 0, pattern: pattern, limits: limits)
    }

    /// Python's `re.match(pattern, subject) is not None`: a match that starts at the beginning of `subject`.
    public func matchesPrefix(_ subject: String) throws(BoundedRegexError) -> Bool {
        try compiled.match(subject, options: PCRE2_ANCHORED, pattern: pattern, limits: limits)
    }
}

/// The compiled code and the match context that carries the limits. PCRE2 documents both as read-only during
/// `pcre2_match`, so one instance is shared between threads; match data is made per call.
private final class Compiled: @unchecked Sendable {
    let code: OpaquePointer
    let context: OpaquePointer

    init(_ pattern: String, limits: BoundedRegex.Limits) throws(BoundedRegexError) {
        let bytes = Array(pattern.utf8)
        guard bytes.count <= limits.patternLength else {
            throw .tooLong(pattern: pattern, length: bytes.count, limit: limits.patternLength)
        }
        var errorCode: Int32 = 0
        var errorOffset = 0
        let options = PCRE2_UTF | PCRE2_UCP | PCRE2_NEVER_BACKSLASH_C
        let code = bytes.withUnsafeBufferPointer { buffer in
            pcre2_compile_8(buffer.baseAddress ?? emptyPointer, buffer.count, options, &errorCode, &errorOffset, nil)
        }
        guard let code else {
            let prefix = String(decoding: bytes.prefix(errorOffset), as: UTF8.self)
            throw .invalid(pattern: pattern, offset: prefix.count, reason: Self.message(errorCode))
        }
        guard let context = pcre2_match_context_create_8(nil) else {
            pcre2_code_free_8(code)
            throw .matchFailed(pattern: pattern, reason: "out of memory")
        }
        pcre2_set_match_limit_8(context, limits.steps)
        pcre2_set_depth_limit_8(context, limits.depth)
        pcre2_set_heap_limit_8(context, limits.heapKiB)
        self.code = code
        self.context = context
    }

    deinit {
        pcre2_match_context_free_8(context)
        pcre2_code_free_8(code)
    }

    func match(_ subject: String, options: UInt32, pattern: String, limits: BoundedRegex.Limits) throws(BoundedRegexError) -> Bool {
        guard let data = pcre2_match_data_create_8(1, nil) else {
            throw .matchFailed(pattern: pattern, reason: "out of memory")
        }
        defer { pcre2_match_data_free_8(data) }
        var text = subject
        // Swift strings are valid UTF-8, so PCRE2 need not check it again.
        let result = text.withUTF8 { buffer in
            pcre2_match_8(code, buffer.baseAddress ?? emptyPointer, buffer.count, 0, options | PCRE2_NO_UTF_CHECK, data, context)
        }
        if result >= 0 { return true }
        switch result {
        case PCRE2_ERROR_NOMATCH, PCRE2_ERROR_PARTIAL:
            return false
        case PCRE2_ERROR_MATCHLIMIT:
            throw .tooMuchWork(pattern: pattern, subjectLength: subject.utf8.count, limit: "\(limits.steps) backtracking steps")
        case PCRE2_ERROR_DEPTHLIMIT:
            throw .tooMuchWork(pattern: pattern, subjectLength: subject.utf8.count, limit: "\(limits.depth) nested backtracking points")
        case PCRE2_ERROR_HEAPLIMIT, PCRE2_ERROR_NOMEMORY:
            throw .tooMuchWork(pattern: pattern, subjectLength: subject.utf8.count, limit: "\(limits.heapKiB / 1024) MiB of backtracking memory")
        default:
            throw .matchFailed(pattern: pattern, reason: Self.message(result))
        }
    }

    static func message(_ code: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = buffer.withUnsafeMutableBufferPointer { pcre2_get_error_message_8(code, $0.baseAddress, $0.count) }
        return n > 0 ? String(decoding: buffer.prefix(Int(n)), as: UTF8.self) : "PCRE2 error \(code)"
    }
}

/// One byte that lives as long as the process: PCRE2 wants a non-null pointer for an empty pattern or subject.
nonisolated(unsafe) private let emptyPointer: UnsafePointer<UInt8> = {
    let p = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
    p.initialize(to: 0)
    return UnsafePointer(p)
}()
