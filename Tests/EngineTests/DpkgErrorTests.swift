@testable import Engine
import FlotillaCore
import Testing

/// A failed apt transaction is reported with dpkg's own reason, not apt's "returned an error code (1)".
@Suite struct DpkgErrorTests {
    /// Captured on a lab host where a local package already shipped /usr/sbin/chronyd (README's failing install).
    static let stdout = """
        Removing systemd-timesyncd (252.39-1~deb12u2) ...
        Selecting previously unselected package chrony.
        Preparing to unpack .../chrony_4.3-2+deb12u3_amd64.deb ...
        Unpacking chrony (4.3-2+deb12u3) ...
        dpkg: error processing archive /var/cache/apt/archives/chrony_4.3-2+deb12u3_amd64.deb (--unpack):
         trying to overwrite '/usr/sbin/chronyd', which is also in package local-chronyd 1.0
        Errors were encountered while processing:
         /var/cache/apt/archives/chrony_4.3-2+deb12u3_amd64.deb

        """
    static let stderr = "debconf: delaying package configuration, since apt-utils is not installed\nE: Sub-process /usr/bin/dpkg returned an error code (1)\n"

    @Test func theFailureMessageQuotesDpkgsErrorAndItsReason() {
        let result = CommandResult(status: .exited(100), stdout: Array(Self.stdout.utf8), stderr: Array(Self.stderr.utf8))
        let message = HostExecutor.failureMessage(description: "apt-get install -- chrony systemd-timesyncd-", index: 2, of: 10, result: result, timeout: nil, host: "node02")
        #expect(message == "step 2 of 10 (apt-get install -- chrony systemd-timesyncd-) failed (exit 100): dpkg: error processing archive "
            + "/var/cache/apt/archives/chrony_4.3-2+deb12u3_amd64.deb (--unpack): trying to overwrite '/usr/sbin/chronyd', which is also in package local-chronyd 1.0")
        // A maintainer script's failure has the same shape.
        let configure = "dpkg: error processing package chrony (--configure):\n installed chrony package post-installation script subprocess returned error exit status 1\n"
        #expect(HostExecutor.dpkgError(configure) == "dpkg: error processing package chrony (--configure): installed chrony package post-installation script subprocess returned error exit status 1")
        // Without dpkg's error, the last line of stderr as before.
        let plain = CommandResult(status: .exited(100), stdout: [], stderr: Array("E: Unable to locate package chrony\n".utf8))
        #expect(HostExecutor.failureMessage(description: "apt-get install chrony", index: 1, of: 1, result: plain, timeout: nil, host: "h").hasSuffix("failed (exit 100): E: Unable to locate package chrony"))
    }
}
