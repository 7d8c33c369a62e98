public import FlotillaCore
import Foundation

/// A test hook, not an operator's option: makes step K of a host's plan fail **after the step ran**, through a
/// command that fails on the host itself (`sh -c 'echo ... >&2; exit 97'`, run with the host's become right
/// after the step's own commands). Everything that follows is what a real failure at that point gets: the
/// facts gathered again, the undo (`Restore`) of everything the steps 1...K changed, the journal and the report.
/// Failing a step after it ran leaves the host with the most to put back at that point, the step's own
/// effects included; a step that failed before doing anything leaves the host as step K-1's injection does.
///
/// The lab's matrix test (`MakeBeforeBreakLabTests`) uses it to fail every step of every starting state's plan.
/// It is set only through the environment variable `FLOTILLA_TEST_FAIL_STEP` (`node13=1,node14=2`: host=step),
/// which no help text or option mentions, so an operator does not reach it by accident; `apply` refuses a
/// malformed value, warns on stderr whenever it is set, and the failing step's output and the host's report
/// name the variable, so a host failed by it is never mistaken for a real failure. Restore steps are never failed.
public struct StepFailureInjection: Sendable, Hashable {
    /// The environment variable apply reads it from.
    public static let variable = "FLOTILLA_TEST_FAIL_STEP"
    /// The exit status of the failing command.
    public static let exitStatus: Int32 = 97
    /// The largest step number accepted (no plan comes near it).
    public static let maxStep = 100_000

    /// Host name to the step (1-based, as reports number them) that fails on it.
    public var steps: [String: Int]

    public init(steps: [String: Int]) {
        self.steps = steps
    }

    /// A value of `FLOTILLA_TEST_FAIL_STEP` that cannot be read.
    public struct Invalid: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Reads `HOST=STEP[,HOST=STEP...]` (spaces around items ignored; each host at most once).
    public static func parse(_ text: String) throws(Invalid) -> StepFailureInjection {
        var steps: [String: Int] = [:]
        for raw in text.split(separator: ",", omittingEmptySubsequences: false) {
            let item = raw.trimmingCharacters(in: .whitespaces)
            guard let eq = item.lastIndex(of: "="), let step = Int(item[item.index(after: eq)...]),
                  (1...maxStep).contains(step), !item[..<eq].isEmpty else {
                throw Invalid(description: "\(variable): '\(item)' is not HOST=STEP (a step from 1 to \(maxStep)); the value is a comma-separated list such as node13=1,node14=2")
            }
            let host = String(item[..<eq])
            guard steps[host] == nil else { throw Invalid(description: "\(variable): host '\(host)' is listed twice") }
            steps[host] = step
        }
        return StepFailureInjection(steps: steps)
    }

    /// The hook from an environment: nil when the variable is not set.
    public static func from(environment: [String: String]) throws(Invalid) -> StepFailureInjection? {
        guard let value = environment[variable] else { return nil }
        return try parse(value)
    }

    /// The step that fails on `host`, if any.
    public func step(for host: String) -> Int? { steps[host] }

    /// The command that fails step `index` on the host: its stderr line names the hook.
    public static func failingCommand(step index: Int) -> RemoteCommand {
        .argv(["sh", "-c", "echo \"$1\" >&2; exit \(exitStatus)", "flotilla-test-hook",
               "test hook \(variable): step \(index) made to fail after it ran"])
    }

    /// One line for the operator: which hosts fail at which step.
    public var summary: String {
        steps.sorted { $0.key < $1.key }.map { "\($0.key) at step \($0.value)" }.joined(separator: ", ")
    }
}
