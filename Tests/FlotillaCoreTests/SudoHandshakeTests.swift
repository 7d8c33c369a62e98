import Testing
import FlotillaCore

/// The handshake's decisions from sudo's output alone, however the network splits it.
@Suite struct SudoHandshakeTests {
    private func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    @Test func thePasswordGoesOutOnlyAfterThePromptAndOnlyOnce() {
        var h = SudoHandshake(password: "s3cret", token: "t1")
        #expect(h.takePassword() == nil)
        #expect(h.stderr(bytes("some warning\n")) == bytes("some warning\n"))
        #expect(h.takePassword() == nil)
        #expect(h.stderr(bytes(h.prompt)) == [])
        #expect(h.takePassword() == bytes("s3cret\n"))
        #expect(h.takePassword() == nil)
        #expect(h.state == .passwordSent)
        #expect(h.stdout(bytes(h.ready + "\noutput\n")) == bytes("output\n"))
        #expect(h.started)
        #expect(h.takePassword() == nil)
    }

    @Test func promptAndReadyLineSplitAcrossEveryReadAreStillRecognised() {
        var h = SudoHandshake(password: "pw", token: "t2")
        var err: [UInt8] = []
        for byte in bytes("before " + h.prompt + "after\n") { err += h.stderr([byte]) }
        #expect(err == bytes("before after\n"))
        #expect(h.takePassword() == bytes("pw\n"))
        var out: [UInt8] = []
        for byte in bytes(h.ready + "\nhello\n") { out += h.stdout([byte]) }
        #expect(out == bytes("hello\n"))
        #expect(h.started)
    }

    @Test func aSecondPromptMeansRefusedAndNoSecondPassword() {
        var h = SudoHandshake(password: "wrong", token: "t3")
        _ = h.stderr(bytes(h.prompt))
        #expect(h.takePassword() != nil)
        #expect(h.stderr(bytes("Sorry, try again.\n" + h.prompt)) == bytes("Sorry, try again.\n"))
        #expect(h.state == .refused)
        #expect(h.takePassword() == nil)
        #expect(!h.started)
    }

    @Test func noPromptAtAllMeansThePasswordIsNeverSent() {
        // Root, NOPASSWD or a cached timestamp: the ready line comes first and the password stays here.
        var h = SudoHandshake(password: "unused", token: "t4")
        #expect(h.stdout(bytes(h.ready + "\n")) == [])
        #expect(h.started)
        #expect(h.takePassword() == nil)
        // Once the command runs, stderr is the command's own, and nothing in it can draw the password out.
        #expect(h.stderr(bytes(h.prompt)) == bytes(h.prompt))
        #expect(h.takePassword() == nil)
    }

    @Test func outputThatIsNotTheReadyLineIsPassedOnAndStartsNothing() {
        var h = SudoHandshake(password: "pw", token: "t5")
        #expect(h.stdout(bytes("flotilla-become-ready-other\n")) == bytes("flotilla-become-ready-other\n"))
        #expect(!h.started)
        var held = h.stdout(bytes("flotilla-become"))
        #expect(held == [])
        held = h.flush().stdout
        #expect(held == bytes("flotilla-become"))
    }

    @Test func theWireCarriesThePromptButNeverThePassword() {
        let command = RemoteCommand(.shell("cat"), stdin: bytes("in\n"), become: Become(user: "root", password: "hunter2"))
        let wire = command.wire(token: "abc")
        #expect(wire.line == "sudo -S -p '[flotilla-sudo-abc] password: ' -H -u root -- \"${SHELL:-/bin/sh}\" -c 'echo flotilla-become-ready-abc\ncat'")
        #expect(wire.stdin == bytes("in\n"))
        #expect(!wire.line.contains("hunter2"))
        #expect(command.wireForm().stdin == bytes("in\n"))
        #expect(!"\(command)".contains("hunter2"))
        let target = ConnectionTarget(name: "web1", password: "s3cr3t-login", become: Become(password: "hunter2"))
        for text in ["\(target)", String(reflecting: target), "\([target])"] {
            #expect(!text.contains("hunter2") && !text.contains("s3cr3t-login"), "\(text)")
        }
        #expect(!String(reflecting: command).contains("hunter2"))
        #expect(SudoHandshake.randomToken() != SudoHandshake.randomToken())
        #expect(!SudoHandshake.randomToken().contains("%"))
    }
}
