import Foundation

/// Where Flotilla keeps its state on the controller.
public enum FlotillaPaths {
    /// The SQLite database shared by the apply journal and the audit history: `$FLOTILLA_DB`, else
    /// `/var/lib/flotilla/flotilla.sqlite` for root, else `~/.local/state/flotilla/flotilla.sqlite`.
    public static var database: String {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["FLOTILLA_DB"], !path.isEmpty { return path }
        if getuid() == 0 { return "/var/lib/flotilla/flotilla.sqlite" }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return home + "/.local/state/flotilla/flotilla.sqlite"
    }
}
