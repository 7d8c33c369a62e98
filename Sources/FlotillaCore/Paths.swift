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

/// The controller's state (the journal and the audit history) is its owner's alone: the files hold host names,
/// addresses, commands and their output.
public enum PrivateState {
    /// Makes `databasePath` and SQLite's companion files (-wal, -shm, -journal) mode 0600, creating the database
    /// file empty when it is missing, and its folder 0700 when Flotilla creates it (or when it is Flotilla's own
    /// default folder; a folder the user named with `FLOTILLA_DB` that already exists, such as /tmp, is left
    /// alone). SQLite gives its companion files the database file's mode. Blocking: call it off the cooperative pool.
    public static func prepare(databasePath path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            if !FileManager.default.fileExists(atPath: directory) {
                try FileManager.default.createDirectory(
                    atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } else if isDefaultFolder(directory) {
                chmod(directory, 0o700)
            }
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        if fd < 0 {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path, NSLocalizedDescriptionKey: String(cString: strerror(errno))])
        }
        fchmod(fd, 0o600)
        close(fd)
        for suffix in ["-wal", "-shm", "-journal"] where FileManager.default.fileExists(atPath: path + suffix) {
            chmod(path + suffix, 0o600)
        }
    }

    private static func isDefaultFolder(_ directory: String) -> Bool {
        var environment = ProcessInfo.processInfo.environment
        environment["FLOTILLA_DB"] = nil
        if getuid() == 0 { return directory == "/var/lib/flotilla" }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return directory == home + "/.local/state/flotilla"
    }
}
