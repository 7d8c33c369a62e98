import FlotillaCore
import Foundation
import Testing

@Suite struct SecretRegistryTests {
    @Test func registeredSecretsAreMaskedLongestFirstAndShortOnesAreNot() {
        let id = UUID().uuidString
        let long = "pass-\(id)-long", inner = "pass-\(id)"
        SecretRegistry.register(inner)
        SecretRegistry.register(long)
        SecretRegistry.register("abc")
        #expect(SecretRegistry.redact("a \(long) b \(inner) c abc") == "a ******** b ******** c abc")
        // The boundary: exactly minimumLength characters is masked, one fewer is not.
        // Secrets stay registered for the process: characters no other test prints.
        let four = "\u{2603}\u{2604}\u{2605}\u{2606}", three = "\u{2607}\u{2608}\u{2609}"
        #expect(four.count == SecretRegistry.minimumLength && three.count == SecretRegistry.minimumLength - 1)
        SecretRegistry.register(four)
        SecretRegistry.register(three)
        #expect(SecretRegistry.redact("[\(four)]") == "[********]")
        #expect(SecretRegistry.redact("<\(three)>") == "<\(three)>")
    }
}
