import Foundation
import Testing
import FlotillaCore
import FlotillaTesting
import SSH

/// A become password reaches sudo only when sudo asks for it, against a real sshd and the real sudo: root (no
/// sudo prompt), a NOPASSWD sudoer, a password sudoer and a sudoer with a cached timestamp. The command's output
/// and the bytes it reads must be exactly the command's, never the password or the handshake's lines.
@Suite(.serialized) struct BecomeTests {
    let transport = SSHTransport(options: .isolated())

    private func withServer(_ body: (TestSSHServer) async throws -> Void) async throws {
        let server = try await TestSSHServer.start(sudoRules: [.noPassword, .password, .cachedPassword])
        defer { server.stop() }
        try await body(server)
    }

    /// Every way in: root with a password it never needs, and the three kinds of sudoer with their own password.
    private func logins(_ server: TestSSHServer) -> [(label: String, user: String, password: String)] {
        [("root", "root", "root-needs-no-password")]
            + server.users.map { ("\($0.rule)", $0.name, $0.password) }
    }

    private func assertClean(_ result: CommandResult, password: String, _ label: String) {
        for text in [result.stdoutText, result.stderrText] {
            #expect(!text.contains(password), "\(label): the password reached the output")
            #expect(!text.contains("flotilla-sudo-"), "\(label): sudo's prompt reached the output")
            #expect(!text.contains("flotilla-become-ready-"), "\(label): the ready line reached the output")
        }
    }

    @Test func theCommandReadsExactlyItsOwnStdinAndNeverThePassword() async throws {
        try await withServer { server in
            for login in logins(server) {
                let session = try await transport.connect(server.target(user: login.user))
                // Twice: the second run of the cached sudoer finds sudo's timestamp and is not asked.
                for round in 1...2 {
                    let command = RemoteCommand(
                        .shell("cat; echo END; id -un"), stdin: Array("first line\nsecond\n".utf8), timeout: .seconds(20),
                        become: Become(user: "root", password: login.password))
                    let result = try await session.run(command)
                    #expect(result.status == .exited(0), "\(login.label) round \(round): \(result.stderrText)")
                    #expect(result.stdoutText == "first line\nsecond\nEND\nroot\n", "\(login.label) round \(round)")
                    #expect(result.stderrText == "", "\(login.label) round \(round)")
                    assertClean(result, password: login.password, login.label)
                }
                await session.close()
            }
        }
    }

    @Test func aFileWrittenThroughBecomeHoldsExactlyItsContent() async throws {
        try await withServer { server in
            for login in logins(server) {
                let session = try await transport.connect(server.target(user: login.user))
                let path = server.directory + "/written-\(login.label)"
                let content = Array("server 169.254.169.123 prefer iburst\n".utf8)
                let result = try await session.writeFile(
                    path, content: content, mode: "0640", become: Become(user: "root", password: login.password))
                await session.close()
                #expect(result.status == .exited(0), "\(login.label): \(result.stderrText)")
                let written = try #require(FileManager.default.contents(atPath: path), "\(login.label)")
                #expect(Array(written) == content, "\(login.label)")
                assertClean(result, password: login.password, login.label)
            }
        }
    }

    @Test func streamedOutputAndConversationsCarryNoHandshake() async throws {
        try await withServer { server in
            let user = try #require(server.user(.password))
            let session = try await transport.connect(server.target(user: user.name))
            defer { Task { await session.close() } }
            let become = Become(user: "root", password: user.password)

            var streamed: [UInt8] = []
            var status = ExitStatus.unknown
            for try await event in session.stream(RemoteCommand(.shell("echo one; echo two >&2; id -u"), timeout: .seconds(20), become: become)) {
                switch event {
                case .output(.stdout(let bytes)), .output(.stderr(let bytes)): streamed += bytes
                case .exit(let s): status = s
                }
            }
            #expect(status == .exited(0))
            let text = String(decoding: streamed, as: UTF8.self)
            #expect(text.split(separator: "\n").sorted() == ["0", "one", "two"])
            #expect(!text.contains(user.password))

            // The audit's shape: the command's stdin first, then turns; every answer is the command's. (Only a line
            // after a prompt is a turn's answer, so the command answers prompts alone.)
            let conversation = try await session.converse(
                RemoteCommand(.shell("read first; while read x; do echo \"turn $x $first\"; done"),
                              stdin: Array("hello\n".utf8), timeout: .seconds(20), become: become),
                turns: Turns(count: 3, prompt: Array("t\n".utf8)))
            #expect(conversation.result.status == .exited(0), "\(conversation.result.stderrText)")
            #expect(conversation.turns.map(\.answerText) == ["turn t hello", "turn t hello", "turn t hello"])
            #expect(conversation.result.stdoutText == "turn t hello\nturn t hello\nturn t hello\n")
        }
    }

    /// A typed line runs in the login shell (bash here) whether or not --timeout and --become wrap it.
    @Test func timeoutAndBecomeKeepTheLoginShell() async throws {
        try await withServer { server in
            let user = try #require(server.user(.password))
            let session = try await transport.connect(server.target(user: user.name))
            defer { Task { await session.close() } }
            let become = Become(user: "root", password: user.password)
            for (timeout, escalate) in [(nil, nil), (Duration.seconds(20), nil), (nil, become), (Duration.seconds(20), become)] as [(Duration?, Become?)] {
                let result = try await session.run(RemoteCommand(.shell("echo {1..3}"), timeout: timeout, become: escalate))
                #expect(result.stdoutText == "1 2 3\n", "timeout \(String(describing: timeout)), become \(escalate != nil): \(result.stdoutText) \(result.stderrText)")
            }
        }
    }

    @Test func aWrongPasswordIsSentOnceAndTheCommandNeverRuns() async throws {
        try await withServer { server in
            let user = try #require(server.user(.password))
            let session = try await transport.connect(server.target(user: user.name))
            defer { Task { await session.close() } }
            let marker = server.directory + "/ran"
            let result = try await session.run(RemoteCommand(
                .argv(["touch", marker]), stdin: Array("not a password either\n".utf8), timeout: .seconds(30),
                become: Become(user: "root", password: "wrong-password")))
            #expect(result.status != .exited(0))
            #expect(!FileManager.default.fileExists(atPath: marker))
            // sudo counted one attempt: the second prompt got end of input, not the password again.
            #expect(result.stderrText.contains("1 incorrect password attempt"), "\(result.stderrText)")
            #expect(result.stderrText.contains("was not sent again"), "\(result.stderrText)")
            #expect(!result.stderrText.contains("wrong-password"))
            #expect(!result.stderrText.contains("flotilla-sudo-"))
        }
    }

    @Test func withoutAPasswordSudoFailsInsteadOfPrompting() async throws {
        try await withServer { server in
            let user = try #require(server.user(.password))
            let session = try await transport.connect(server.target(user: user.name))
            defer { Task { await session.close() } }
            let result = try await session.run(RemoteCommand(
                .shell("cat"), stdin: Array("secret-looking input\n".utf8), timeout: .seconds(20), become: Become(user: "root")))
            #expect(result.status == .exited(1))
            #expect(result.stderrText.contains("a password is required"), "\(result.stderrText)")
            #expect(result.stdoutText == "")
        }
    }
}
