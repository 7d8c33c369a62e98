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
    /// Taken from the same canonical encoding as `digest(of:)`, field by field, so every fact `HostFacts`
    /// holds (a field added later included) is covered: two facts with equal digests here give equal
    /// digests there.
    public static func perFact(_ facts: HostFacts) -> [String: String] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(canonicalJSON(facts).utf8)) as? [String: Any] else { return [:] }
        var out: [String: String] = [:]
        for (key, value) in object {
            if let kind = collections[key], let entries = value as? [String: Any] {
                for (name, entry) in entries { out["\(kind)[\(name)]"] = digestOfJSON(entry) }
            } else {
                out[labels[key] ?? key] = digestOfJSON(value)
            }
        }
        return out
    }

    /// The facts whose digests differ between `saved` and `now` (or that only one of them has), sorted.
    public static func changed(saved: [String: String], now: [String: String]) -> [String] {
        Set(saved.keys).union(now.keys).filter { saved[$0] != now[$0] }.sorted()
    }

    private static let collections = ["packages": "package", "units": "unit", "files": "file"]
    private static let labels = [
        "os": "os", "packageManager": "package manager", "systemdRunning": "systemd", "virtualization": "virtualization",
        "hasCapSysTime": "CAP_SYS_TIME", "chronyVersion": "chrony version",
    ]

    private static func digestOfJSON(_ value: Any) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed, .withoutEscapingSlashes])) ?? Data()
        return sha256(Array(data))
    }
}
