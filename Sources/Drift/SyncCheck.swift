public import FlotillaCore

/// Asks a host's chrony how its clock is doing, in ONE round trip: `command -v chronyc`, the host's time,
/// `chronyc -c tracking`, `chronyc -c sources` (with their exit statuses) and the addresses the host resolves
/// the expected sources to. Used by `flotilla audit` and by `flotilla apply`'s sync gate.
public struct SyncCheck: Sendable, Hashable {
    /// The sources the host should follow (names or addresses, as the playbook or inventory gives them).
    public var expectedSources: [String]
    public var become: Become?
    /// The largest |offset| accepted by `failure(of:)` and `waitForSync`, seconds; nil: not checked.
    public var maxOffset: Double?
    /// Limit for the whole check on the host (chronyc retries for a few seconds when no daemon answers).
    public var timeout: Duration
    /// When set, the error bound (|offset| + root dispersion + root delay / 2) must be within it too: right
    /// after chrony starts, its first samples leave a bound of seconds although the offset looks tiny, and
    /// the audit would not vouch for such a host (its critical threshold is 1 s by default).
    public var maxErrorBound: Double? = nil
    /// `chronyc waitsync`'s max-correction in `waitForSync`, seconds (0: not checked); nil: `maxOffset`.
    public var maxCorrection: Double? = nil
    /// `chronyc waitsync`'s max-skew in `waitForSync`, ppm (0 or nil: not checked).
    public var maxSkew: Double? = nil

    public init(expectedSources: [String] = [], become: Become? = nil, maxOffset: Double? = nil, timeout: Duration = .seconds(20)) {
        self.expectedSources = expectedSources
        self.become = become
        self.maxOffset = maxOffset
        self.timeout = timeout
    }

    static let header = "@@flotilla:chrony 1"
    static let sectionMarker = "@@flotilla:section "
    static let exitMarker = "@@flotilla:exit "
    static let endMarker = "@@flotilla:end"

    /// The remote script; the expected source names arrive as its arguments ("$@"), never inside its text.
    public static let script = #"""
LC_ALL=C; export LC_ALL
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin${PATH:+:$PATH}; export PATH
echo '@@flotilla:chrony 1'
printf 'now=%s\n' "$(date +%s.%N)"
printf 'chronyc='; command -v chronyc 2>/dev/null || echo
if command -v chronyc >/dev/null 2>&1; then
  echo '@@flotilla:section tracking'
  chronyc -n -c tracking 2>&1; rc=$?; echo; echo "@@flotilla:exit $rc"
  echo '@@flotilla:section sources'
  chronyc -n -c sources 2>&1; rc=$?; echo; echo "@@flotilla:exit $rc"
fi
echo '@@flotilla:section resolve'
for n in "$@"; do
  getent ahosts "$n" 2>/dev/null | while read -r a rest; do printf '%s %s\n' "$n" "$a"; done
done
echo '@@flotilla:end'
"""#

    /// The remote command.
    public var command: RemoteCommand {
        var command = RemoteCommand(
            .argv(["sh", "-c", Self.script, "flotilla-chrony"] + expectedSources), timeout: timeout, become: become)
        command.outputLimit = 1 << 20
        return command
    }

    /// Runs the check over an open connection. A host without chrony or without a running chronyd is an
    /// answer (`ChronyStatus.daemon`), not an error; errors are for output that cannot be read.
    public func run(on connection: any Connection) async throws -> ChronyStatus {
        let result = try await connection.run(command)
        return try interpret(result, host: connection.target.name)
    }

    /// Reads the script's output.
    public func interpret(_ result: CommandResult, host: String) throws(DriftError) -> ChronyStatus {
        try Self.interpret(stdout: result.stdoutText, stderr: result.stderrText, status: result.status, host: host, expected: expectedSources)
    }

    /// Reads the script's output (pure; tests feed it captured text).
    public static func interpret(
        stdout: String, stderr: String = "", status: ExitStatus = .exited(0), host: String, expected: [String]
    ) throws(DriftError) -> ChronyStatus {
        var lines: [String] = []
        for raw in stdout.split(separator: "\n", omittingEmptySubsequences: false) {
            // An exit marker glued to output without a final newline is split off.
            if let range = raw.range(of: exitMarker), range.lowerBound != raw.startIndex {
                lines.append(String(raw[..<range.lowerBound]))
                lines.append(String(raw[range.lowerBound...]))
            } else {
                lines.append(String(raw))
            }
        }
        guard lines.first == header else {
            throw .incompleteOutput(host: host, missing: "header line '\(header)' (\(status))", stderr: stderr)
        }
        var fields: [String: String] = [:]
        var sections: [String: (body: [String], exit: Int32?)] = [:]
        var current: String?
        var ended = false
        for line in lines.dropFirst() {
            if line == endMarker { ended = true; break }
            if line.hasPrefix(sectionMarker) {
                current = String(line.dropFirst(sectionMarker.count))
                sections[current!] = ([], nil)
            } else if let name = current {
                if line.hasPrefix(exitMarker) {
                    sections[name]!.exit = Int32(line.dropFirst(exitMarker.count).trimmingWhitespace()) ?? -1
                } else {
                    sections[name]!.body.append(line)
                }
            } else if let eq = line.firstIndex(of: "=") {
                fields[String(line[..<eq])] = String(line[line.index(after: eq)...])
            }
        }
        // The host's clock is untrusted like all it prints: a reading that is not a finite, plausible number
        // is an error naming the host, never a value that could overflow later arithmetic or the history.
        var hostTime: Double?
        if let now = fields["now"] {
            switch HostNumber.read(Substring(now)) {
            case .success(let value): hostTime = value
            case .failure(let refusal):
                throw .malformedOutput(host: host, source: "audit output", field: "now", value: now, reason: refusal.reason)
            }
        }
        func make(_ daemon: ChronyStatus.Daemon, _ tracking: ChronyTracking? = nil, _ sources: [ChronySource] = []) -> ChronyStatus {
            var addresses = expected
            for line in sections["resolve"]?.body ?? [] {
                let parts = line.split(separator: " ")
                if parts.count == 2, expected.contains(String(parts[0])), !addresses.contains(String(parts[1])) {
                    addresses.append(String(parts[1]))
                }
            }
            return ChronyStatus(
                host: host, daemon: daemon, tracking: tracking, sources: sources, hostTime: hostTime,
                expectedSources: expected, expectedAddresses: addresses)
        }
        guard ended else {
            // A chronyc that hangs (a daemon that accepts but never answers) ends the whole script by timeout.
            if status == .timedOut, let last = current, last == "tracking" || last == "sources" {
                return make(.failed(command: "chronyc -c \(last)", status: status.description, message: ""))
            }
            throw .incompleteOutput(host: host, missing: "end marker '\(endMarker)' (\(status))", stderr: stderr)
        }
        guard let chronyc = fields["chronyc"] else {
            throw .incompleteOutput(host: host, missing: "'chronyc=' line", stderr: stderr)
        }
        if chronyc.isEmpty { return make(.absent) }
        var texts: [String: String] = [:]
        for name in ["tracking", "sources"] {
            guard let section = sections[name], let exit = section.exit else {
                throw .incompleteOutput(host: host, missing: "section '\(name)' with its exit status", stderr: stderr)
            }
            let text = section.body.joined(separator: "\n")
            if exit != 0 {
                let message = section.body.first { !$0.allSatisfy(\.isWhitespace) }?.trimmingWhitespace() ?? ""
                if message.contains("Cannot talk to daemon") || message.contains("Could not open connection") {
                    return make(.notRunning(message: message))
                }
                return make(.failed(command: "chronyc -c \(name)", status: ExitStatus.exited(exit).description, message: message))
            }
            texts[name] = text
        }
        do {
            return make(.running, try ChronyTracking.parse(texts["tracking"]!), try ChronySources.parse(texts["sources"]!))
        } catch {
            throw error.on(host: host)
        }
    }

    /// Why the status fails this check (not synchronised, wrong source, offset above `maxOffset`); nil when it passes.
    public func failure(of status: ChronyStatus) -> String? {
        if let reason = status.notSynchronisedReason { return reason }
        if status.followsExpectedSource == false {
            let selected = status.selectedSource?.address ?? status.tracking?.referenceName ?? "?"
            return "follows \(selected), not the expected " + expectedSources.joined(separator: " or ")
        }
        if let maxOffset, let offset = status.clockOffset, abs(offset) > maxOffset {
            return "offset \(SecondsText.format(offset)) is beyond ±\(SecondsText.format(maxOffset, signed: false))"
        }
        if let maxErrorBound, let bound = status.errorBound, bound > maxErrorBound {
            return "error bound ±\(SecondsText.format(bound, signed: false)) is still beyond ±\(SecondsText.format(maxErrorBound, signed: false)) (too few samples yet)"
        }
        return nil
    }
}
