import Facts
import Plan

extension Step {
    /// The package step the planner writes for `apt-get VERB [FLAGS] -- NAMES` (apt waits up to 120 s for a lock).
    static func apt(_ args: [String]) -> Step { package(.apt, args, lockWait: 120) }

    /// The package step the planner writes for `dnf VERB [FLAGS] -- NAMES`.
    static func dnf(_ args: [String]) -> Step { package(.dnf, args, lockWait: nil) }

    private static func package(_ manager: PackageManager, _ args: [String], lockWait: Int?) -> Step {
        let dash = args.firstIndex(of: "--") ?? args.count
        return .package(call: PackageCall(
            manager: manager, verb: args[0], flags: Array(args[1..<dash]), names: Array(args[min(dash + 1, args.count)...]),
            lockWaitSeconds: lockWait))
    }
}
