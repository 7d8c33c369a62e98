import Foundation
import FlotillaCore

/// The one place where facts become a digest.
///
/// The digest is SHA-256 over a canonical encoding (JSON with sorted keys, no whitespace, file contents in
/// base64), so two equal `HostFacts` always give the same digest, written `sha256:` + lowercase hex.
public enum FactsDigest {
    public static func digest(of facts: HostFacts) -> String {
        sha256(Array(canonicalJSON(facts).utf8))
    }

    /// `sha256:` + lowercase hex of the bytes; used for facts, playbooks and file contents alike.
    public static func sha256(_ bytes: [UInt8]) -> String {
        "sha256:" + Hex.encode(SHA256.hash(bytes))
    }

    /// The canonical encoding the digest is taken over.
    public static func canonicalJSON(_ facts: HostFacts) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // HostFacts holds only strings, numbers, booleans and arrays of them: encoding cannot fail.
        guard let data = try? encoder.encode(facts) else { return "" }
        return String(decoding: data, as: UTF8.self)
    }
}

extension FactsDigest {
    /// A digest per fact, named as plans name resources: `package[chrony]`, `unit[chrony.service]`,
    /// `file[/etc/chrony/chrony.conf]`, and `os`, `package manager`, `systemd`, `virtualization`, `CAP_SYS_TIME`,
    /// `chrony version` for the rest. A saved plan keeps them so that a refusal can name what changed.
    ///
    /// Each is the first 64 bits (16 hex digits) of SHA-256 over the fact's own canonical encoding (as `digest(of:)`
    /// encodes it within the whole): enough to name what changed, while the full digest of all facts still decides
    /// whether a plan is stale; it keeps a saved plan about 1.6 KB per host larger rather than 3.
    /// `perFactFields` lists the fields of `HostFacts` covered; a test holds it to every field `HostFacts` encodes.
    public static func perFact(_ facts: HostFacts) -> [String: String] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var out: [String: String] = [:]
        func put(_ label: String, _ value: some Encodable) {
            // Facts hold only strings, numbers, booleans and arrays of them: encoding cannot fail.
            out[label] = String(Hex.encode(SHA256.hash(Array((try? encoder.encode(value)) ?? Data()))).prefix(16))
        }
        put("os", facts.os)
        put("package manager", facts.packageManager)
        put("systemd", facts.systemdRunning)
        put("virtualization", facts.virtualization)
        put("CAP_SYS_TIME", facts.hasCapSysTime)
        if let version = facts.chronyVersion { put("chrony version", version) }
        for (name, package) in facts.packages { put("package[\(name)]", package) }
        for (name, unit) in facts.units { put("unit[\(name)]", unit) }
        for (path, file) in facts.files { put("file[\(path)]", file) }
        return out
    }

    /// The fields of `HostFacts`, as encoded, that `perFact` covers.
    public static let perFactFields: Set<String> = [
        "os", "packageManager", "systemdRunning", "virtualization", "hasCapSysTime", "chronyVersion", "packages", "units", "files",
    ]

    /// The facts whose digests differ between `saved` and `now` (or that only one of them has), sorted.
    public static func changed(saved: [String: String], now: [String: String]) -> [String] {
        Set(saved.keys).union(now.keys).filter { saved[$0] != now[$0] }.sorted()
    }
}
