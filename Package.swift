// swift-tools-version: 6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Flotilla",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "flotilla", targets: ["flotilla"]),
        .library(name: "FlotillaTesting", targets: ["FlotillaTesting"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.0"..<"5.0.0"),
    ],
    targets: [
        // C: libssh2 >= 1.11 through pkg-config. Only the SSH module imports it. scripts/setup.sh writes
        // flotilla-libssh2.pc: the system's libssh2 when it is 1.11 or later, else a static build of Debian
        // trixie's libssh2 in /opt/flotilla/libssh2 (docs/architecture.md says why).
        .systemLibrary(name: "CLibSSH2", pkgConfig: "flotilla-libssh2"),
        // C: PCRE2 (Debian's libpcre2-dev). Only FlotillaRegex imports it.
        .systemLibrary(name: "CPCRE2", pkgConfig: "libpcre2-8", providers: [.apt(["libpcre2-dev"])]),
        // BoundedRegex: Python-syntax regular expressions whose matches do bounded work (~pattern, regexp).
        .target(name: "FlotillaRegex", dependencies: ["CPCRE2"], swiftSettings: strict),
        // Shared vocabulary: the Transport protocol, command results, shell quoting, durations.
        .target(name: "FlotillaCore", dependencies: [.product(name: "Crypto", package: "swift-crypto")], swiftSettings: strict),
        // Non-blocking libssh2 sessions on dedicated epoll threads; known_hosts; OpenSSH client config.
        .target(name: "SSH", dependencies: ["CLibSSH2", "FlotillaCore"], swiftSettings: strict),
        // Ansible INI/YAML inventories, group_vars/host_vars, --limit patterns.
        .target(
            name: "Inventory",
            dependencies: ["FlotillaCore", "Vault", "FlotillaRegex", .product(name: "Yams", package: "Yams")],
            swiftSettings: strict
        ),
        // Ansible Vault (1.1/1.2, AES256) through swift-crypto; password files, scripts and prompts.
        .target(
            name: "Vault",
            dependencies: [
                "FlotillaCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        // Facts: one remote script per host, pure parsers into typed values.
        .target(name: "Facts", dependencies: ["FlotillaCore"], swiftSettings: strict),
        // Playbooks, resources and the pure planner.
        .target(
            name: "Plan",
            dependencies: ["FlotillaCore", "Facts", "Inventory", "FlotillaRegex", .product(name: "Yams", package: "Yams")],
            swiftSettings: strict
        ),
        // chrony's tracking and sources, clock cross-checks, drift verdicts, audit reports and history.
        .target(
            name: "Drift",
            dependencies: ["FlotillaCore", "Facts", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict
        ),
        // Applying plans: rolling batches, failure budgets, sync gates, the SQLite journal.
        .target(
            name: "Engine",
            dependencies: ["FlotillaCore", "Facts", "Plan", "Drift", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict
        ),
        // The disposable lab fleet: debootstrap image, systemd-nspawn hosts, network namespaces, faults.
        .target(
            name: "Lab",
            dependencies: ["FlotillaCore", .product(name: "Subprocess", package: "swift-subprocess")],
            swiftSettings: strict
        ),
        // Every command of the CLI; the only importer of ArgumentParser.
        .target(
            name: "FlotillaCLI",
            dependencies: [
                "FlotillaCore", "SSH", "Inventory", "Vault", "Facts", "Plan", "Drift", "Engine", "Lab",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(name: "flotilla", dependencies: ["FlotillaCLI"], swiftSettings: strict),
        // Benchmarks (not tests): `swift run -c release plan-benchmark`.
        .executableTarget(name: "plan-benchmark", dependencies: ["Plan", "Facts"], path: "Benchmarks/PlanBenchmark", swiftSettings: strict),
        // Test support: real sshd servers on loopback, fixture loading.
        .target(name: "FlotillaTesting", dependencies: ["FlotillaCore"], swiftSettings: strict),

        // Every untrusted input format run through its real parser; `flotilla-fuzz` (below) and FuzzHarnessTests use it.
        .target(name: "FuzzHarness", dependencies: ["Inventory", "Plan", "SSH", "Facts", "Drift", "FlotillaRegex"], swiftSettings: strict),

        .testTarget(name: "FlotillaCoreTests", dependencies: ["FlotillaCore"], swiftSettings: strict),
        .testTarget(
            name: "VaultTests",
            dependencies: ["Vault", "FlotillaCore", "FlotillaTesting"],
            resources: [.copy("Fixtures")],
            swiftSettings: strict
        ),
        .testTarget(name: "FlotillaRegexTests", dependencies: ["FlotillaRegex"], swiftSettings: strict),
        // Replays Fuzz/corpus and Fuzz/regressions (read from the source tree) through FuzzHarness.
        .testTarget(name: "FuzzHarnessTests", dependencies: ["FuzzHarness"], swiftSettings: strict),
        .testTarget(name: "SSHTests", dependencies: ["SSH", "FlotillaCore", "FlotillaTesting"], swiftSettings: strict),
        .testTarget(
            name: "InventoryTests",
            dependencies: ["Inventory", "Vault", "FlotillaTesting"],
            resources: [.copy("Fixtures")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "FactsTests",
            dependencies: ["Facts", "FlotillaTesting"],
            resources: [.copy("Fixtures")],
            swiftSettings: strict
        ),
        .testTarget(name: "PlanTests", dependencies: ["Plan", "Facts", "Inventory", "FlotillaTesting"], swiftSettings: strict),
        .testTarget(
            name: "DriftTests",
            dependencies: ["Drift", "Facts", "SSH", "FlotillaTesting"],
            resources: [.copy("Fixtures")],
            swiftSettings: strict
        ),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "Plan", "Facts", "Drift", "FlotillaTesting"], swiftSettings: strict),
        // Runs the built `flotilla` binary (scripts/test.sh builds it first) against real sshd servers.
        .testTarget(name: "CLITests", dependencies: ["FlotillaTesting"], swiftSettings: strict),
        .testTarget(
            name: "LabTests",
            dependencies: ["Lab", "SSH", "Inventory", "FlotillaTesting", "FlotillaCLI"],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)

// The libFuzzer executable exists only for scripts/fuzz.sh, which sets FLOTILLA_FUZZ and builds it with
// -sanitize=fuzzer,address into .build-fuzz/: plain `swift build` and `swift test` never build it.
if Context.environment["FLOTILLA_FUZZ"] != nil {
    package.targets.append(
        .executableTarget(name: "flotilla-fuzz", dependencies: ["FuzzHarness"], path: "Fuzz/Sources/flotilla-fuzz", swiftSettings: strict)
    )
}
