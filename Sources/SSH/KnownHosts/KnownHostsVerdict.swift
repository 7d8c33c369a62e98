/// What known_hosts says about a host's key, with the line that decided it.
public enum KnownHostsVerdict: Sendable, Hashable {
    /// A line for this host lists exactly this key.
    case match(file: String, line: Int)
    /// The host is known with a different key of the SAME type: the key changed (or someone is in the
    /// middle). `line` is the first such line; `knownType` the key type it lists.
    case mismatch(file: String, line: Int, knownType: String)
    /// A `@revoked` line for this host lists this key. Never to be accepted, whatever the policy.
    case revoked(file: String, line: Int)
    /// No line vouches for or against this key. This includes a host known only with keys of other
    /// types, which OpenSSH also treats as a new key, not as a changed one.
    case notFound
}
