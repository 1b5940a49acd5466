import Foundation
import KafkaAdmin
import KafkaSim
import Testing

@Suite("TLS against the simulator")
struct TLSTests {
    /// Bootstraps with `extra` against a sim with `security`; returns the error (nil on success).
    static func attempt(_ security: SimSecurity, _ extra: [String: String]) async throws -> KafkaAdminError? {
        try await Fixture.withSim(security) { sim -> KafkaAdminError? in
            let admin = try KafkaAdminClient(properties: await Fixture.properties(sim, extra))
            do throws(KafkaAdminError) {
                let metadata = try await admin.bootstrap()
                await admin.close()
                #expect(!metadata.brokers.isEmpty)
                return nil
            } catch {
                await admin.close()
                return error
            }
        }
    }

    @Test("ssl with the right CA verifies the broker (IP and host name)")
    func verified() async throws {
        let pki = try await TestPKI.shared()
        var extra = Fixture.tlsProperties(pki)
        extra["security.protocol"] = "ssl"
        let error = try await Self.attempt(.ssl(Fixture.serverTLS(pki)), extra)
        #expect(error == nil, "\(String(describing: error))")
        // The same by host name: the certificate names localhost too.
        try await Fixture.withSim(.ssl(Fixture.serverTLS(pki))) { sim in
            var p = await Fixture.properties(sim, extra)
            let port = try #require(await sim.port(ofBroker: 1))
            p["bootstrap.servers"] = "localhost:\(port)"
            let admin = try KafkaAdminClient(properties: p)
            // Metadata advertises 127.0.0.1; bootstrap itself goes to localhost.
            _ = try await admin.bootstrap()
            await admin.close()
        }
    }

    @Test("A CA that did not sign the broker's certificate fails verification")
    func wrongCA() async throws {
        let pki = try await TestPKI.shared()
        let error = try await Self.attempt(.ssl(Fixture.serverTLS(pki)), ["security.protocol": "ssl", "ssl.ca.location": pki.otherCAPEM])
        let text = try #require(error).description
        #expect(text.contains("certificate verification failed"), "\(text)")
        #expect(text.contains("TLS"), "\(text)")
    }

    @Test("An expired broker certificate is named as expired")
    func expired() async throws {
        let pki = try await TestPKI.shared()
        let error = try await Self.attempt(.ssl(Fixture.serverTLS(pki, expired: true)), ["security.protocol": "ssl", "ssl.ca.location": pki.caPEM])
        let text = try #require(error).description
        #expect(text.contains("expired"), "\(text)")
    }

    // Not timed with the clock: both messages come from the handshake (the connection's limit),
    // never from the 30 s request timeout, and a hang is caught by the time limit.
    @Test("A plaintext listener with security.protocol=ssl fails clearly within the connection timeout", .timeLimit(.minutes(1)))
    func notTLS() async throws {
        let pki = try await TestPKI.shared()
        let error = try await Self.attempt(.plaintext, ["security.protocol": "ssl", "ssl.ca.location": pki.caPEM])
        let text = try #require(error).description
        #expect(text.contains("does not speak TLS") || text.contains("no TLS handshake"), "\(text)")
    }

    @Test("Mutual TLS: a client certificate (plain or passphrase-protected key) is accepted; none is refused")
    func mutualTLS() async throws {
        let pki = try await TestPKI.shared()
        let server = SimSecurity.ssl(Fixture.serverTLS(pki, requireClientCertificate: true))
        let base = ["security.protocol": "ssl", "ssl.ca.location": pki.caPEM]
        var withCert = base
        withCert["ssl.certificate.location"] = pki.clientPEM
        withCert["ssl.key.location"] = pki.clientKey
        #expect(try await Self.attempt(server, withCert) == nil)
        var encrypted = withCert
        encrypted["ssl.key.location"] = pki.clientKeyEncrypted
        encrypted["ssl.key.password"] = TestPKI.clientKeyPassphrase
        #expect(try await Self.attempt(server, encrypted) == nil)
        let refused = try await Self.attempt(server, base)
        #expect(refused != nil)
        let refusedText = refused.map { $0.description } ?? ""
        #expect(Fixture.leaked(in: refusedText).isEmpty)
    }

    @Test("enable.ssl.certificate.verification=false connects to anything and warns")
    func verificationOff() async throws {
        let pki = try await TestPKI.shared()
        let extra = ["security.protocol": "ssl", "enable.ssl.certificate.verification": "false"]
        #expect(try await Self.attempt(.ssl(Fixture.serverTLS(pki, expired: true)), extra) == nil)
        var props = extra
        props["bootstrap.servers"] = "127.0.0.1:9092"
        let config = try AdminConfig(properties: props)
        #expect(config.security.warnings.count == 1)
        #expect(config.security.warnings.contains { $0.contains("NOT checked") })
        props["enable.ssl.certificate.verification"] = "true"
        #expect(try AdminConfig(properties: props).security.warnings.isEmpty)
    }

    @Test("Unreadable or malformed certificate files are configuration errors naming property and path")
    func unreadableFiles() async throws {
        let pki = try await TestPKI.shared()
        let garbage = pki.directory + "/garbage.pem"
        try "not a certificate\n".write(toFile: garbage, atomically: true, encoding: .utf8)
        let unreadable = pki.directory + "/unreadable.pem"
        try "x".write(toFile: unreadable, atomically: true, encoding: .utf8)
        chmod(unreadable, 0)
        let cases: [(String, String)] = [
            ("ssl.ca.location", pki.directory + "/missing.pem"),
            ("ssl.ca.location", garbage),
            ("ssl.ca.location", pki.directory),
            ("ssl.certificate.location", pki.directory + "/missing-cert.pem"),
            ("ssl.key.location", pki.directory + "/missing.key"),
        ] + (getuid() == 0 ? [] : [("ssl.ca.location", unreadable)])
        for (key, path) in cases {
            var p = ["bootstrap.servers": "127.0.0.1:9092", "security.protocol": "ssl", "ssl.ca.location": pki.caPEM]
            if key != "ssl.ca.location" {
                p["ssl.certificate.location"] = pki.clientPEM
                p["ssl.key.location"] = pki.clientKey
            }
            p[key] = path
            do {
                _ = try AdminConfig(properties: p)
                Issue.record("\(key)=\(path) was accepted")
            } catch {
                #expect(error.description.contains(key), "\(error)")
                #expect(error.description.contains(path), "\(error)")
            }
        }
        // An encrypted key without (or with a wrong) passphrase.
        var p = ["bootstrap.servers": "127.0.0.1:9092", "security.protocol": "ssl",
                 "ssl.certificate.location": pki.clientPEM, "ssl.key.location": pki.clientKeyEncrypted]
        #expect(throws: KafkaAdminError.self) { _ = try AdminConfig(properties: p) }
        p["ssl.key.password"] = Fixture.wrongPassword
        do {
            _ = try AdminConfig(properties: p)
            Issue.record("a wrong key passphrase was accepted")
        } catch {
            #expect(error.description.contains("ssl.key"))
            #expect(Fixture.leaked(in: error.description).isEmpty)
        }
    }
}
