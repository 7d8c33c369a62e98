#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Runs blocking network work on a dedicated thread, optionally inside a named network namespace
/// (`/run/netns/NAME`): the thread joins the namespace with setns(2), so sockets it creates live there.
/// Only that thread changes namespace; it ends when the work is done.
enum NamespaceThread {
    static func run<T: Sendable>(
        netns: String?, name: String = "flotilla-netns", _ body: @escaping @Sendable () throws -> T
    ) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let thread = Thread {
                do {
                    if let netns { try enter(netns) }
                    continuation.resume(returning: try body())
                } catch {
                    continuation.resume(throwing: error)
                }
            }
            thread.name = name
            thread.start()
        }
    }

    /// Moves the calling thread into `/run/netns/NAME`.
    static func enter(_ netns: String) throws {
        let path = "/run/netns/\(netns)"
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw LabError.systemCall(name: "open", subject: path, errno: errno) }
        defer { close(fd) }
        guard linuxSetns(fd, cloneNewNet) == 0 else {
            throw LabError.systemCall(name: "setns", subject: path, errno: errno)
        }
    }

    /// A monotonic clock reading in seconds.
    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

/// setns(2) and CLONE_NEWNET are hidden behind _GNU_SOURCE in Glibc's Swift module; bind them directly.
@_silgen_name("setns")
private func linuxSetns(_ fd: Int32, _ nstype: Int32) -> Int32
private let cloneNewNet: Int32 = 0x4000_0000
