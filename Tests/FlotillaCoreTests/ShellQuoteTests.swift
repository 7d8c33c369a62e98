import Testing
import FlotillaCore

@Suite struct ShellQuoteTests {
    @Test func safeWordsStayBare() {
        #expect(ShellQuote.quote("chrony") == "chrony")
        #expect(ShellQuote.quote("/etc/chrony/chrony.conf") == "/etc/chrony/chrony.conf")
    }

    @Test func quotesSpacesAndSingleQuotes() {
        #expect(ShellQuote.quote("a b") == "'a b'")
        #expect(ShellQuote.quote("it's") == "'it'\\''s'")
        #expect(ShellQuote.quote("") == "''")
        #expect(ShellQuote.join(["echo", "$HOME", "x;y"]) == "echo '$HOME' 'x;y'")
    }

    @Test func becomeWrapsInSudoNonInteractive() {
        let cmd = RemoteCommand(.argv(["id", "-u"]), become: Become())
        #expect(cmd.wireForm().line == "sudo -n -H -u root -- sh -c 'id -u'")
        #expect(cmd.wireForm().stdin == nil)
    }

    @Test func durationsParse() {
        #expect(DurationText.parse("50ms") == .milliseconds(50))
        #expect(DurationText.parse("1s") == .seconds(1))
        #expect(DurationText.parse("24h") == .seconds(86400))
        #expect(DurationText.parse("2") == .seconds(2))
        #expect(DurationText.parse("abc") == nil)
        #expect(DurationText.parse("-1s") == nil)
    }
}

@Suite struct WireFormTests {
    @Test func aTimeoutRunsTheCommandUnderTimeoutInsideSudo() {
        let cmd = RemoteCommand(.shell("sleep 30"), timeout: .milliseconds(1500), become: Become())
        #expect(cmd.wireForm().line == #"sudo -n -H -u root -- "${SHELL:-/bin/sh}" -c 'timeout -k 2s 1.500s "${SHELL:-/bin/sh}" -c '\''sleep 30'\'''"#)
        // A typed line keeps the login shell; Flotilla's own argument vectors are POSIX sh.
        #expect(RemoteCommand.shell("true", timeout: .seconds(5)).wireForm().line == #"timeout -k 2s 5s "${SHELL:-/bin/sh}" -c true"#)
        #expect(RemoteCommand.argv(["true"], timeout: .seconds(5)).wireForm().line == "timeout -k 2s 5s sh -c true")
    }
}
