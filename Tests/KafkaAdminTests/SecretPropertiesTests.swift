import Testing

@testable import KafkaAdmin

/// The one secret rule: every key the config file, the CLI's properties and the librdkafka clients
/// each treated as secret before they shared it is still secret; ordinary keys are not.
@Suite("SecretProperties")
struct SecretPropertiesTests {
    @Test("Secret keys, whatever their case", arguments: [
        // The config file's and the CLI's rule.
        "sasl.password", "ssl.key.password", "ssl.keystore.password", "client.secret", "sasl.oauthbearer.client.secret",
        "sasl.oauthbearer.token.file", "sasl.jaas.config", "ssl.private.key", "client.key.pem",
        // The librdkafka clients' rule.
        "sasl.oauthbearer.config", "ssl.key.pem", "ssl_key", "my.jaas.settings", "SASL.PASSWORD",
    ])
    func secret(_ key: String) {
        #expect(SecretProperties.isSecret(key))
    }

    @Test("Ordinary keys", arguments: [
        "bootstrap.servers", "client.id", "security.protocol", "sasl.mechanism", "sasl.username", "ssl.ca.location",
        "ssl.certificate.location", "ssl.certificate.pem", "ssl.endpoint.identification.algorithm",
    ])
    func ordinary(_ key: String) {
        #expect(!SecretProperties.isSecret(key))
    }

    @Test("Token references are secret-looking but may be written as they are")
    func references() {
        for key in SecretProperties.referenceKeys { #expect(SecretProperties.isSecret(key)) }
        #expect(SecretProperties.referenceKeys == ["sasl.oauthbearer.token.file", "sasl.oauthbearer.token.command"])
    }
}
