/// One input format that Flotilla reads and does not control, fed to its real parser by `FuzzTarget.run`.
/// libFuzzer drives these through `flotilla-fuzz` (scripts/fuzz.sh, docs/fuzzing.md); `FuzzHarnessTests`
/// replays the seed corpora and every crash found (Fuzz/regressions) through the same code in `swift test`.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// An INI inventory file, loaded as `-i FILE` is, then selected and its variables resolved per host.
    case ini
    /// A YAML inventory file, the same way.
    case yaml
    /// A playbook, then the facts each play needs.
    case playbook
    /// A saved plan file (`flotilla plan --save`).
    case plan
    /// An OpenSSH client config, then resolved for a few host names.
    case sshConfig = "ssh-config"
    /// A known_hosts file.
    case knownHosts = "known-hosts"
    /// What the fact script prints on a host.
    case facts
    /// What `chronyc -c tracking` and `chronyc -c sources` print, and the time daemon probe's output.
    case chronyc
    /// What the audit's chrony check prints on a host, then judged and rendered as table, JSON, Prometheus and HTML.
    case audit
    /// A `~regex` or `regexp` pattern (first line) and a text to match (the rest).
    case regex

    /// Runs one input through the parser and what follows it. Errors are expected and ignored; a crash, a
    /// sanitizer report, a timeout or a memory blowup is a finding.
    public func run(_ input: [UInt8]) {
        switch self {
        case .ini: InventoryInputs.load(input, fileName: "hosts.ini")
        case .yaml: InventoryInputs.load(input, fileName: "hosts.yml")
        case .playbook: PlanInputs.playbook(input)
        case .plan: PlanInputs.savedPlan(input)
        case .sshConfig: SSHInputs.clientConfig(input)
        case .knownHosts: SSHInputs.knownHosts(input)
        case .facts: HostOutputs.facts(input)
        case .chronyc: HostOutputs.chronyc(input)
        case .audit: HostOutputs.audit(input)
        case .regex: RegexInputs.match(input)
        }
    }
}
