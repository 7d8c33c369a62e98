/// One thing the audit found on a host, with its own severity and a sentence that says what and why.
public struct Finding: Sendable, Codable, Hashable {
    public enum Kind: String, Sendable, Codable, Hashable, CaseIterable {
        /// No connection to the host.
        case unreachable
        /// Connected, but the audit's commands failed.
        case auditFailed = "audit-failed"
        /// chrony is not installed.
        case chronyAbsent = "chrony-absent"
        /// chronyc is installed but no chronyd answers.
        case chronyNotRunning = "chrony-not-running"
        /// chronyd answers but is not synchronised (or lost every source).
        case notSynchronised = "not-synchronised"
        /// |offset| above --max-offset.
        case offsetWarning = "offset-warning"
        /// |offset| above --critical.
        case offsetCritical = "offset-critical"
        /// |offset| is within --max-offset but chrony's error bound (|offset| + root dispersion + root delay / 2)
        /// is not: the offset cannot be confirmed within --max-offset.
        case boundTooLarge = "bound-too-large"
        /// chrony's offset is within --max-offset but the selected source's latest sample is not: chrony has not
        /// caught up with what its source says yet.
        case sampleDisagrees = "sample-disagrees"
        /// The selected source is not an expected one.
        case unexpectedSource = "unexpected-source"
        /// chrony follows its own clock (`local stratum`) instead of a source.
        case localClock = "local-clock"
        /// A configured source has not answered any of the last 8 polls.
        case sourceUnreachable = "source-unreachable"
        /// chrony claims sync while the controller's cross-check disagrees beyond both bounds.
        case crossCheckDisagrees = "cross-check-disagrees"
        /// Another time daemon is running.
        case competingDaemonActive = "competing-daemon-active"
        /// Another time daemon is enabled (starts at the next boot).
        case competingDaemonEnabled = "competing-daemon-enabled"
        /// A daemon the playbook removes is installed again.
        case removedDaemonReturned = "removed-daemon-returned"
        /// systemd-timesyncd is not masked although the playbook masks it.
        case timesyncdNotMasked = "timesyncd-not-masked"
        /// chrony's unit is masked.
        case chronyMasked = "chrony-masked"
        /// chrony's unit is not running.
        case chronyStopped = "chrony-stopped"
        /// chrony's unit is not enabled: it will not start at the next boot.
        case chronyDisabled = "chrony-disabled"
        /// The playbook guards against returning daemons but the host's guard file is absent.
        case guardMissing = "guard-missing"
        /// The guard file does not keep out every daemon it should, or one of them is installed all the same.
        case guardIncomplete = "guard-incomplete"
    }

    public var kind: Kind
    public var severity: Verdict
    public var message: String

    public init(_ kind: Kind, _ severity: Verdict, _ message: String) {
        self.kind = kind
        self.severity = severity
        self.message = message
    }
}
