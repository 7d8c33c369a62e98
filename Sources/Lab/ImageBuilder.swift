#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Builds the lab image with debootstrap and the starting-state layers, into a temporary directory that is
/// renamed into place only when complete: a crashed build never leaves a half image behind.
public enum ImageBuilder {
    /// The outcome of `ensure`.
    public struct Outcome: Sendable {
        public var image: LabImage
        /// Seconds spent building; nil when the cached image was used.
        public var builtSeconds: Double?
    }

    /// Returns the cached image of `distro`, building it first if it is missing, incomplete or `rebuild` is set.
    public static func ensure(
        paths: LabPaths, distro: Distro, rebuild: Bool, progress: @Sendable (String) -> Void
    ) async throws -> Outcome {
        let image = LabImage(distro: distro, dir: paths.imageDir(distro))
        if image.isComplete && !rebuild { return Outcome(image: image, builtSeconds: nil) }
        try checkSupported(distro)
        let start = NamespaceThread.now()
        try SmallFile.makeDirectories(paths.imagesDir)
        try await removeStaleBuilds(paths: paths)
        let mirror = try AptMirror.find()
        let work = paths.imagesDir + "/.\(distro.rawValue).build-\(getpid())"
        let building = LabImage(distro: distro, dir: work)
        do {
            try await build(building, mirror: mirror, log: paths.imagesDir + "/\(distro.rawValue).build.log", progress: progress)
        } catch {
            try? await unmountAll(under: work)
            _ = try? await LocalCommand.capture(["rm", "-rf", "--one-file-system", work])
            throw error
        }
        let seconds = NamespaceThread.now() - start
        let info = ImageInfo(
            distro: distro, mirror: mirror, builtAt: Date().timeIntervalSince1970, buildSeconds: seconds,
            packages: distro.basePackages, recipe: LabImage.recipe)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try SmallFile.writeBytes(building.infoFile, Array(try encoder.encode(info)))
        // Swap into place: the old image (if any) is moved aside first, then deleted.
        if SmallFile.exists(image.dir) {
            let old = paths.imagesDir + "/.\(distro.rawValue).old-\(getpid())"
            guard rename(image.dir, old) == 0 else {
                throw LabError.systemCall(name: "rename", subject: image.dir, errno: errno)
            }
            try await LocalCommand.run(["rm", "-rf", "--one-file-system", old])
        }
        guard rename(work, image.dir) == 0 else {
            throw LabError.systemCall(name: "rename", subject: work, errno: errno)
        }
        return Outcome(image: image, builtSeconds: seconds)
    }

    /// debootstrap must know the release, and the archive keyring must hold its keys.
    static func checkSupported(_ distro: Distro) throws {
        let script = "/usr/share/debootstrap/scripts/\(distro.rawValue)"
        guard SmallFile.exists(script) else {
            throw LabError.unsupportedDistro(name: distro.rawValue, reason: "this debootstrap has no \(script)")
        }
        let keyring = "/usr/share/keyrings/debian-archive-\(distro.rawValue)-stable.gpg"
        guard SmallFile.exists(keyring) else {
            throw LabError.unsupportedDistro(
                name: distro.rawValue, reason: "\(keyring) is missing (update debian-archive-keyring)")
        }
    }

    static func build(
        _ image: LabImage, mirror: String, log: String, progress: @Sendable (String) -> Void
    ) async throws {
        try SmallFile.makeDirectories(image.dir)
        progress("debootstrap \(image.distro.rawValue) from \(mirror) (about a minute)")
        let debootstrap = [
            "debootstrap", "--variant=minbase", "--include=" + image.distro.basePackages.joined(separator: ","),
            image.distro.rawValue, image.base, mirror,
        ]
        let r = try await LocalCommand.capture(debootstrap, outputLimit: 64 << 20)
        try? SmallFile.write(log, "$ \(debootstrap.joined(separator: " "))\n\(r.stdout)\n\(r.stderr)\n")
        guard r.succeeded else {
            let detail = SmallFile.read(image.base + "/debootstrap/debootstrap.log")
                .map { $0.split(separator: "\n").suffix(15).joined(separator: "\n") } ?? ""
            throw LabError.commandFailed(
                command: LocalCommand.display(debootstrap), status: "\(r.status)",
                stderr: r.stderr + r.stdout + "\n" + detail + "\n(full log: \(log))")
        }
        progress("caching chrony and systemd-timesyncd for offline install; adding users admin and operator")
        if let resolv = SmallFile.read("/etc/resolv.conf") {
            try? SmallFile.write(image.base + "/etc/resolv.conf", resolv)
        }
        try await LocalCommand.run(["chroot", image.base, "/bin/sh", "-c", configureScript], outputLimit: 16 << 20)
        try SmallFile.write(image.base + "/etc/resolv.conf", "")

        for state in StartingState.allCases {
            guard let script = state.layerScript else { continue }
            progress("building the \(state.rawValue) layer")
            try await buildLayer(image, state: state, script: script)
        }
    }

    /// Runs in the base image once: package cache for offline installs, users, sudo rules, no host keys.
    static let configureScript = """
        set -e
        export DEBIAN_FRONTEND=noninteractive
        apt-get clean
        apt-get update -q
        # chrony, systemd-timesyncd and ntpsec all conflict (time-daemon): fetch them separately.
        apt-get install -y -q --download-only chrony
        apt-get install -y -q --download-only systemd-timesyncd
        ls /var/cache/apt/archives/chrony_*.deb /var/cache/apt/archives/systemd-timesyncd_*.deb
        id admin >/dev/null 2>&1 || useradd -m -s /bin/bash admin
        getent group operator >/dev/null || groupadd operator
        id operator >/dev/null 2>&1 || useradd -m -s /bin/bash -g operator operator
        echo 'admin ALL=(ALL:ALL) NOPASSWD: ALL' > /etc/sudoers.d/admin
        echo 'operator ALL=(ALL:ALL) ALL' > /etc/sudoers.d/operator
        chmod 0440 /etc/sudoers.d/admin /etc/sudoers.d/operator
        rm -f /etc/ssh/ssh_host_*
        : > /etc/machine-id
        """

    /// One starting state as an overlay upper directory over the base, made by running `script` in a
    /// throwaway container (no network: everything it installs is in the package cache).
    static func buildLayer(_ image: LabImage, state: StartingState, script: String) async throws {
        let dir = image.layer(state)
        let work = dir + ".work"
        let merged = dir + ".merged"
        for d in [dir, work, merged] { try SmallFile.makeDirectories(d) }
        try await LocalCommand.run([
            "mount", "-t", "overlay", "overlay", "-o",
            "lowerdir=\(image.base),upperdir=\(dir),workdir=\(work)", merged,
        ])
        let run: LocalResult
        do {
            run = try await LocalCommand.capture([
                "systemd-nspawn", "-q", "-D", merged, "-M", "flotilla-build-\(state.rawValue)",
                "--register=no", "--keep-unit", "--private-network", "--resolv-conf=off", "--timezone=off",
                "--drop-capability=CAP_SYS_TIME", "/bin/sh", "-c", script,
            ], outputLimit: 16 << 20)
        } catch {
            _ = try? await LocalCommand.capture(["umount", merged])
            throw error
        }
        try await LocalCommand.run(["umount", merged])
        guard run.succeeded else {
            throw LabError.commandFailed(
                command: "building the \(state.rawValue) layer", status: "\(run.status)", stderr: run.stdout + run.stderr)
        }
        try await LocalCommand.run(["rm", "-rf", "--one-file-system", work, merged])
    }

    /// Leftovers of builds that crashed: unmount and delete `.DISTRO.build-PID` / `.old-PID` directories
    /// whose process is gone.
    static func removeStaleBuilds(paths: LabPaths) async throws {
        for name in SmallFile.list(paths.imagesDir) where name.hasPrefix(".") {
            guard let dash = name.lastIndex(of: "-"), let pid = Int32(name[name.index(after: dash)...]) else { continue }
            if pid != getpid() && kill(pid, 0) == 0 { continue }  // another build is running
            let dir = paths.imagesDir + "/" + name
            try await unmountAll(under: dir)
            try await LocalCommand.run(["rm", "-rf", "--one-file-system", dir])
        }
    }

    static func unmountAll(under dir: String) async throws {
        for mount in MountTable.mountPoints(under: dir) {
            let r = try await LocalCommand.capture(["umount", mount])
            if !r.succeeded { _ = try await LocalCommand.capture(["umount", "-l", mount]) }
        }
    }
}
