import Foundation
import GroupModel
import KafkaAdmin
import KafkaSim
import Monitor

/// Simulated clusters with security, and admin clients for them.
enum Fixture {
    /// Passwords and tokens: long and unusual, so a grep for them cannot match by accident.
    static let password = "Pw-7f3c9e1a-secret-NEVER-PRINT"
    static let wrongPassword = "Wrong-4b2d8c-secret-NEVER-PRINT"
    static let token = "Tok-91d0aa27-secret-NEVER-PRINT"
    static let wrongToken = "BadTok-3e5f10-secret-NEVER-PRINT"
    static let users = ["alice": password, "b,ob=": password]

    static var sasl: SimSASL { SimSASL(users: users, mechanisms: SimSASLMechanism.allCases, oauthTokens: [token]) }

    static func serverTLS(_ pki: TestPKI, expired: Bool = false, requireClientCertificate: Bool = false) -> SimTLS {
        SimTLS(
            certificateChainPath: expired ? pki.expiredPEM : pki.serverPEM,
            privateKeyPath: expired ? pki.expiredKey : pki.serverKey,
            clientCAPath: requireClientCertificate ? pki.caPEM : nil)
    }

    /// Runs `body` with a started simulator (one topic, one group) and shuts it down after.
    static func withSim<T: Sendable>(
        _ security: SimSecurity, brokers: Int = 1, _ body: (KafkaSimulator) async throws -> T
    ) async throws -> T {
        var config = SimConfig(brokerCount: brokers)
        config.security = security
        config.classicInitialRebalanceDelayMs = 0
        let sim = try await KafkaSimulator.start(config: config)
        do {
            _ = try await sim.cluster.createTopic("orders", partitions: 3)
            try await sim.cluster.addConsumerGroup("billing", topics: ["orders"], members: 1)
            let result = try await body(sim)
            await sim.shutdown()
            return result
        } catch {
            await sim.shutdown()
            throw error
        }
    }

    /// Properties for `sim` plus `extra`, with bounded timeouts (tests must not hang). A connection
    /// may take 30 s: with the whole suite running on two cores a TLS or SASL handshake took more
    /// than 3 s, and the tests that expect a connection to fail are refused at once (tests that
    /// need faults to show quickly set their own, `FaultToleranceTests.fastProperties`).
    static func properties(_ sim: KafkaSimulator, _ extra: [String: String]) async -> [String: String] {
        var p = [
            "bootstrap.servers": await sim.bootstrapServers(),
            "socket.connection.setup.timeout.ms": "30000",
            "socket.timeout.ms": "30000",
        ]
        for (k, v) in extra { p[k] = v }
        return p
    }

    static func saslProperties(_ mechanism: String, tls: Bool, password: String = Fixture.password, token: String = Fixture.token) -> [String: String] {
        var p = ["security.protocol": tls ? "sasl_ssl" : "sasl_plaintext", "sasl.mechanism": mechanism]
        if mechanism == "OAUTHBEARER" {
            p["sasl.oauthbearer.token"] = token
        } else {
            p["sasl.username"] = "alice"
            p["sasl.password"] = password
        }
        return p
    }

    static func tlsProperties(_ pki: TestPKI, ca: String? = nil) -> [String: String] {
        ["ssl.ca.location": ca ?? pki.caPEM]
    }

    /// A monitor over a new admin client; close with `admin.close()`.
    static func monitor(_ props: [String: String]) throws -> (KafkaAdminClient, Monitor) {
        let admin = try KafkaAdminClient(properties: props)
        let now: @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }
        let poller = Poller(admin: admin, now: now)
        return (admin, Monitor(poller: poller, interval: .milliseconds(200), now: now))
    }

    /// Every secret a test uses.
    static let secrets = [password, wrongPassword, token, wrongToken, TestPKI.clientKeyPassphrase]

    /// The secrets found in `text` (should be none).
    static func leaked(in text: String) -> [String] {
        secrets.filter { text.contains($0) }
    }
}
