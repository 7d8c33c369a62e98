import Testing
import Lab
import Foundation

/// The lab's command line as a user meets it (the built `flotilla` executable).
@Suite struct LabCLITests {
    @Test func nonRootUseGetsAClearMessage() async throws {
        let exe = LabFixture.flotillaExecutable
        #expect(FileManager.default.isExecutableFile(atPath: exe), "flotilla executable not found at \(exe)")
        // Run as nobody: every lab command must refuse with the one clear sentence.
        for args in [["lab", "status"], ["lab", "up", "--hosts", "2"], ["lab", "down"]] {
            let r = try await LocalCommand.capture(
                ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", exe] + args)
            #expect(!r.succeeded)
            #expect(r.stderr.contains("flotilla lab needs root: it creates network namespaces and containers"), "\(args): \(r.stderr)")
        }
    }
}
