import Foundation
import Testing
import FlotillaCore
import FlotillaTesting
import SSH

/// Against real OpenSSH servers started by the test on loopback.
@Suite(.serialized) struct SSHSessionTests {
    let transport = SSHTransport(options: .isolated())

    private func withServer(_ body: (TestSSHServer) async throws -> Void) async throws {
        let server = try await TestSSHServer.start()
        defer { server.stop() }
        try await body(server)
    }

    @Test func exitStatusesArriveAsSent() async throws {
        try await withServer { server in
            let session = try await transport.connect(server.target())
            defer { Task { await session.close() } }
            #expect(try await session.run(.shell("true")).status == .exited(0))
            #expect(try await session.run(.shell("exit 1")).status == .exited(1))
            let missing = try await session.run(.shell("no-such-command-flotilla"))
            #expect(missing.status == .exited(127))
            #expect(missing.stderrText.contains("not found"))
            let killed = try await session.run(.shell("kill -KILL $$"))
            #expect(killed.status == .signaled("KILL"))
        }
    }

    @Test func manyCommandsShareOneConnection() async throws {
        try await withServer { server in
            let session = try await transport.connect(server.target())
            var pids = Set<String>()
            for i in 0..<20 {
                let result = try await session.run(.argv(["sh", "-c", "echo $$ $1", "sh", "n\(i)"]))
                #expect(result.status == .exited(0))
                let words = result.stdoutText.split(separator: " ")
                #expect(words.last.map(String.init) == "n\(i)\n")
                pids.insert(String(words[0]))
            }
            await session.close()
            // Every command had its own sshd session process under the one connection.
            #expect(pids.count == 20)
            let connections = server.log.components(separatedBy: "Accepted publickey").count - 1
            #expect(connections == 1)
        }
    }

    @Test func threeMegabytesOnStderrDoNotDeadlockStdout() async throws {
        try await withServer { server in
            let session = try await transport.connect(server.target())
            let result = try await session.run(.shell("head -c 3145728 /dev/zero >&2; echo done"))
            await session.close()
            #expect(result.status == .exited(0))
            #expect(result.stderr.count == 3_145_728)
            #expect(result.stdoutText == "done\n")
        }
    }

    @Test func oneMebibyteOfStdoutArrivesIntact() async throws {
        try await withServer { server in
            let session = try await transport.connect(server.target())
            let result = try await session.run(.shell("head -c 1048576 /dev/urandom | tee /tmp/flotilla-mib.$$ ; sha256sum < /tmp/flotilla-mib.$$ >&2; rm -f /tmp/flotilla-mib.$$"))
            await session.close()
            #expect(result.status == .exited(0))
            #expect(result.stdout.count == 1_048_576)
            let remote = result.stderrText.split(separator: " ").first.map(String.init)
            #expect(remote == Hex.encode(SHA256.hash(result.stdout)))
        }
    }

    @Test func stdinRoundTripsThroughTheCommand() async throws {
        try await withServer { server in
            let session = try await transport.connect(server.target())
            var input = [UInt8]()
            for i in 0..<(3 << 20) { input.append(UInt8(truncatingIfNeeded: i &* 2654435761 >> 13)) }
            let result = try await session.run(.shell("cat", stdin: input))
            await session.close()
            #expect(result.status == .exited(0))
            #expect(result.stdout.count == input.count)
            #expect(result.stdout == input)
        }
    }

    @Test func outputBeyondTheCapIsDroppedAndSaid() async throws {
        try await withServer { server in
            let session = try await transport.connect(server.target())
            var command = RemoteCommand.shell("head -c 100000 /dev/zero")
            command.outputLimit = 1000
            let result = try await session.run(command)
            await session.close()
            #expect(result.status == .exited(0))
            #expect(result.stdout.count == 1000)
            #expect(result.truncated)
        }
    }

    @Test func aSleepPastItsTimeoutFailsAsATimeoutWithinTwoSeconds() async throws {
        try await withServer { server in
            let session = try await transport.connect(server.target())
            let started = ContinuousClock.now
            let result = try await session.run(.shell("sleep 30", timeout: .seconds(1)))
            let elapsed = started.duration(to: .now)
            #expect(result.status == .timedOut)
            #expect(elapsed < .seconds(2))
            // The connection still carries commands afterwards.
            #expect(try await session.run(.shell("echo ok")).stdoutText == "ok\n")
            await session.close()
        }
    }

    @Test func cancellingTheTaskEndsTheCommand() async throws {
        try await withServer { server in
            let session = try await transport.connect(server.target())
            let task = Task { try await session.run(.shell("sleep 30")) }
            try await Task.sleep(for: .milliseconds(300))
            let started = ContinuousClock.now
            task.cancel()
            await #expect(throws: CancellationError.self) { try await task.value }
            #expect(started.duration(to: .now) < .seconds(3))
            await session.close()
        }
    }

    @Test func streamingDeliversOutputBeforeTheCommandEnds() async throws {
        try await withServer { server in
            let session = try await transport.connect(server.target())
            var chunks: [String] = []
            var status: FlotillaCore.ExitStatus?
            for try await event in session.stream(.shell("echo one; sleep 0.3; echo two >&2; exit 3")) {
                switch event {
                case .output(.stdout(let bytes)): chunks.append("out:" + String(decoding: bytes, as: UTF8.self))
                case .output(.stderr(let bytes)): chunks.append("err:" + String(decoding: bytes, as: UTF8.self))
                case .exit(let s): status = s
                }
            }
            await session.close()
            #expect(chunks == ["out:one\n", "err:two\n"])
            #expect(status == .exited(3))
        }
    }

    @Test func aConversationHoldsEachPromptBackUntilTheAnswerArrived() async throws {
        try await withServer { server in
            let session = try await transport.connect(server.target())
            // The command's own stdin comes first. After each line it waits, then asks bash whether more input is
            // already waiting (`read -t 0`): with prompts held back, none ever is.
            let script = #"read -r head; while read -r x; do sleep 0.05; if read -t 0; then echo "early $x"; else echo "$head $x"; fi; done; echo bye"#
            let conversation = try await session.converse(
                .argv(["bash", "-c", script], stdin: Array("first\n".utf8)), turns: Turns(count: 4, prompt: Array("p\n".utf8)))
            await session.close()
            #expect(conversation.result.status == .exited(0), "\(conversation.result.stderrText)")
            #expect(conversation.turns.map(\.answerText) == Array(repeating: "first p", count: 4))
            #expect(conversation.result.stdoutText == String(repeating: "first p\n", count: 4) + "bye\n")
            for (earlier, later) in zip(conversation.turns, conversation.turns.dropFirst()) {
                #expect(later.sent >= earlier.received)
            }
            for turn in conversation.turns {
                #expect(turn.roundTrip >= 0.05)
            }
        }
    }

    @Test func aCommandThatStopsAnsweringEndsTheConversationWithTheTurnsItAnswered() async throws {
        try await withServer { server in
            let session = try await transport.connect(server.target())
            let conversation = try await session.converse(.shell("read -r x; echo one; exit 3"), turns: Turns(count: 5))
            #expect(conversation.turns.map(\.answerText) == ["one"])
            #expect(conversation.result.status == .exited(3))
            // A command that never answers is ended by its timeout; the connection carries on.
            let silent = try await session.converse(.shell("sleep 30", timeout: .seconds(1)), turns: Turns(count: 2))
            #expect(silent.turns.isEmpty)
            #expect(silent.result.status == .timedOut)
            #expect(try await session.run(.shell("echo ok")).stdoutText == "ok\n")
            await session.close()
        }
    }

    @Test func becomeRunsThroughSudo() async throws {
        try await withServer { server in
            let session = try await transport.connect(server.target())
            let result = try await session.run(RemoteCommand(.argv(["id", "-un"]), become: Become(user: "nobody")))
            await session.close()
            #expect(result.status == .exited(0), "\(result.stderrText)")
            #expect(result.stdoutText == "nobody\n")
        }
    }

    @Test func writeFileIsAtomicWithTheGivenMode() async throws {
        try await withServer { server in
            let session = try await transport.connect(server.target())
            let path = server.directory + "/written.conf"
            let content = Array("server 169.254.169.123 prefer iburst\n".utf8)
            let result = try await session.writeFile(path, content: content, mode: "0640", become: Become())
            #expect(result.status == .exited(0), "\(result.stderrText)")
            let check = try await session.run(.argv(["stat", "-c", "%a %U", path]))
            let leftovers = try await session.run(.shell("ls -a \(ShellQuote.quote(server.directory)) | grep -c '^.flotilla' || true"))
            await session.close()
            #expect(FileManager.default.contents(atPath: path).map(Array.init) == content)
            #expect(check.stdoutText == "640 root\n")
            #expect(leftovers.stdoutText == "0\n")
        }
    }

    @Test func twoHundredSessionsInFlightAllReturnTheirOwnOutput() async throws {
        try await withServer { server in
            let results = try await withThrowingTaskGroup(of: (Int, String).self) { group in
                for i in 0..<200 {
                    group.addTask {
                        let session = try await transport.connect(server.target(name: "host\(i)"))
                        let result = try await session.run(.argv(["echo", "reply-\(i)"]))
                        await session.close()
                        return (i, result.stdoutText)
                    }
                }
                var all: [Int: String] = [:]
                for try await (i, text) in group { all[i] = text }
                return all
            }
            #expect(results.count == 200)
            for i in 0..<200 { #expect(results[i] == "reply-\(i)\n") }
        }
    }
}
