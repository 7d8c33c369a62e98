extension SSHClientConfig {
    /// What ssh_config expansion needs to know about the local side: `~` and `%d` (home), `%u` and
    /// `Match localuser` (user name), `%l` / `%L` (host name), `%i` (uid) and `${VAR}` (environment).
    /// `current()` reads the real values; tests pass their own.
    public struct LocalContext: Sendable, Hashable {
        public var home: String
        public var userName: String
        public var hostName: String
        public var uid: UInt32
        public var environment: [String: String]

        public init(
            home: String, userName: String, hostName: String, uid: UInt32 = 0, environment: [String: String] = [:]
        ) {
            self.home = home
            self.userName = userName
            self.hostName = hostName
            self.uid = uid
            self.environment = environment
        }

        /// The running process's home, user, host name, uid and environment.
        public static func current() -> LocalContext {
            LocalContext(
                home: LocalFiles.homeDirectory(),
                userName: LocalFiles.userName(),
                hostName: LocalFiles.hostName(),
                uid: LocalFiles.uid(),
                environment: LocalFiles.environment()
            )
        }
    }
}
