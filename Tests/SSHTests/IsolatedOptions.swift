import FlotillaCore
import SSH

extension SSHTransport.Options {
    /// Options that read nothing of the user's own: no ~/.ssh/known_hosts, no ssh-agent, no ~/.ssh/id_* keys.
    static func isolated(_ policy: HostKeyPolicy = .strict) -> SSHTransport.Options {
        var options = SSHTransport.Options()
        options.userKnownHosts = false
        options.useAgent = false
        options.defaultIdentities = false
        options.hostKeyPolicy = policy
        return options
    }
}
