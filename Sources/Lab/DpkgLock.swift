#if canImport(Glibc)
import Glibc
#endif

/// dpkg's lock files, locked the way dpkg, apt and unattended-upgrades lock them: fcntl(2) write locks
/// on /var/lib/dpkg/lock-frontend and then /var/lib/dpkg/lock.
public enum DpkgLock {
    public static let files = ["/var/lib/dpkg/lock-frontend", "/var/lib/dpkg/lock"]

    /// Takes both locks under `root` (waiting up to `wait` seconds for a current holder) and returns the open
    /// descriptors; the locks last until they are closed or the process exits. Call from a dedicated thread
    /// or a helper process (it may sleep while waiting).
    public static func acquire(root: String, wait: Double = 30) throws -> [Int32] {
        var fds: [Int32] = []
        for file in files {
            let path = root + file
            let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o640)
            guard fd >= 0 else {
                fds.forEach { close($0) }
                throw LabError.systemCall(name: "open", subject: path, errno: errno)
            }
            fds.append(fd)
            let deadline = NamespaceThread.now() + wait
            while true {
                var lock = flock()
                lock.l_type = Int16(F_WRLCK)
                lock.l_whence = Int16(SEEK_SET)
                if fcntl(fd, F_SETLK, &lock) == 0 { break }
                guard (errno == EACCES || errno == EAGAIN) && NamespaceThread.now() < deadline else {
                    let e = errno
                    fds.forEach { close($0) }
                    throw LabError.systemCall(name: "fcntl(F_SETLK)", subject: path, errno: e)
                }
                usleep(100_000)
            }
        }
        return fds
    }

    /// True when some process holds a write lock on dpkg's frontend lock under `root`.
    public static func isHeld(root: String) -> Bool {
        let path = root + files[0]
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var lock = flock()
        lock.l_type = Int16(F_WRLCK)
        lock.l_whence = Int16(SEEK_SET)
        guard fcntl(fd, F_GETLK, &lock) == 0 else { return false }
        return lock.l_type != Int16(F_UNLCK)
    }
}

extension DpkgLock {
    /// `acquire` on a dedicated thread.
    public static func acquireOnThread(root: String, wait: Double = 30) async throws -> [Int32] {
        try await NamespaceThread.run(netns: nil, name: "flotilla-dpkg-lock") { try acquire(root: root, wait: wait) }
    }
}
