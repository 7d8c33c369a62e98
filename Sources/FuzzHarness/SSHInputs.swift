import SSH

enum SSHInputs {
    /// Parses an ssh_config with a made-up local side (its home is a private empty directory, so `Include`
    /// of a relative path finds nothing) and resolves a few host names through it.
    static func clientConfig(_ input: [UInt8]) {
        let context = SSHClientConfig.LocalContext(home: Scratch.directory, userName: "fuzz", hostName: "controller", uid: 1000)
        guard let config = try? SSHClientConfig.parse(text: String(decoding: input, as: UTF8.self), file: "fuzz_config", context: context) else {
            return
        }
        for host in ["web1", "db.example.com", "10.0.0.1", "*"] { _ = config.resolve(host: host, user: "ops") }
    }

    static func knownHosts(_ input: [UInt8]) {
        _ = KnownHostsParser.parse(text: input, file: "fuzz_known_hosts")
    }
}
