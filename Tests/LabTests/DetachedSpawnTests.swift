#if canImport(Glibc)
import Glibc
#endif
import Foundation
@testable import Lab
import Testing

/// Lab processes outlive `flotilla` (containers, the time server, responders, lock holders): they must inherit no
/// descriptor but stdin, stdout and stderr, or an `flock LOCK flotilla lab up` leaves LOCK held by the
/// containers until `lab down`, and every other lab user waits.
@Suite struct DetachedSpawnTests {
    @Test func aDetachedProcessInheritsNoDescriptorOfOurs() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-spawn-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let held = dir + "/held.lock"
        // Opened without O_CLOEXEC and flocked, as flock(1) hands its lock to the command it runs.
        let fd = open(held, O_RDWR | O_CREAT, 0o600)
        try #require(fd >= 0)
        defer { close(fd) }
        try #require(flock(fd, LOCK_EX) == 0)

        let child = try DetachedSpawn.start(["sleep", "30"], log: dir + "/sleep.log", role: "test sleeper")
        defer { child.signal(SIGKILL) }
        // Right after exec the child may still be in its own start-up (sleep's setlocale opens and closes
        // gconv-modules.cache), so wait until it settles; a descriptor it inherited never goes away, so a leak
        // still fails once the deadline passes.
        func openFiles() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(child.pid)/fd")) ?? []).compactMap {
                try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(child.pid)/fd/\($0)")
            }
        }
        var links = openFiles()
        let deadline = ContinuousClock.now + .seconds(10)
        while links.count != 3, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
            links = openFiles()
        }
        #expect(links.count == 3, "\(links)")
        #expect(!links.contains(held), "\(links)")
        // And the lock is ours alone: once we let go, another open file description takes it at once.
        flock(fd, LOCK_UN)
        let other = open(held, O_RDWR)
        defer { close(other) }
        #expect(flock(other, LOCK_EX | LOCK_NB) == 0)
    }
}
