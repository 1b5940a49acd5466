import Foundation
import GroupModel
import KafkaAdmin
import KafkaSim
import Monitor
import Testing

@Suite("SASL against the simulator")
struct SASLTests {
    static let mechanisms = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"]

    @Test("Each mechanism authenticates and polls, over sasl_plaintext and sasl_ssl", arguments: mechanisms, [false, true])
    func mechanismWorks(mechanism: String, tls: Bool) async throws {
        let pki = try await TestPKI.shared()
        let security: SimSecurity = tls ? .saslSSL(Fixture.sasl, Fixture.serverTLS(pki)) : .saslPlaintext(Fixture.sasl)
        try await Fixture.withSim(security) { sim in
            var extra = Fixture.saslProperties(mechanism, tls: tls)
            if tls { extra.merge(Fixture.tlsProperties(pki)) { $1 } }
            let (admin, monitor) = try Fixture.monitor(await Fixture.properties(sim, extra))
            let update = await monitor.pollOnce()
            await admin.close()
            #expect(update.failure == nil, "poll failed: \(update.failure ?? "")")
            let snapshot = try #require(update.snapshot)
            #expect(snapshot.groups.contains { $0.groupID == "billing" })
            let json = String(decoding: try SnapshotJSON.encode(snapshot), as: UTF8.self)
            #expect(Fixture.leaked(in: json).isEmpty)
        }
    }

    @Test("A wrong password or token is an authentication error that never shows the secret", arguments: mechanisms)
    func wrongCredentials(mechanism: String) async throws {
        try await Fixture.withSim(.saslPlaintext(Fixture.sasl)) { sim in
            let extra = Fixture.saslProperties(mechanism, tls: false, password: Fixture.wrongPassword, token: Fixture.wrongToken)
            let props = await Fixture.properties(sim, extra)
            let admin = try KafkaAdminClient(properties: props)
            var caught: KafkaAdminError?
            do throws(KafkaAdminError) { try await admin.bootstrap() } catch { caught = error }
            await admin.close()
            let error = try #require(caught)
            guard case let .authentication(address, message) = error else {
                Issue.record("expected an authentication error, got \(error)")
                return
            }
            #expect(!address.isEmpty)
            #expect(message.contains(mechanism) || message.contains("token"))
            var outputs = ["\(error)", String(reflecting: error), error.description]

            let (admin2, monitor) = try Fixture.monitor(props)
            let first = await monitor.pollOnce()
            let second = await monitor.pollOnce()
            await admin2.close()
            #expect(first.failure?.contains("authentication failed") == true, "\(first.failure ?? "nil")")
            #expect(first.newErrors.count == 1)
            #expect(second.newErrors.isEmpty, "the same fault must be reported once")
            outputs.append(first.failure ?? "")
            outputs.append(String(describing: first))
            outputs.append(String(decoding: try SnapshotJSON.encodeLine(first.newErrors), as: UTF8.self))
            outputs.append(String(describing: try AdminConfig(properties: props)))
            var dumped = ""
            dump(try AdminConfig(properties: props), to: &dumped)
            outputs.append(dumped)
            for o in outputs { #expect(Fixture.leaked(in: o).isEmpty, "secret in: \(o)") }
        }
    }

    @Test("A mechanism the broker does not enable names what it offers")
    func unsupportedMechanism() async throws {
        var sasl = Fixture.sasl
        sasl.mechanisms = [.plain]
        try await Fixture.withSim(.saslPlaintext(sasl)) { sim in
            let admin = try KafkaAdminClient(properties: await Fixture.properties(sim, Fixture.saslProperties("SCRAM-SHA-512", tls: false)))
            var caught: KafkaAdminError?
            do throws(KafkaAdminError) { try await admin.bootstrap() } catch { caught = error }
            await admin.close()
            guard case let .authentication(_, message)? = caught else {
                Issue.record("expected an authentication error, got \(String(describing: caught))")
                return
            }
            #expect(message.contains("SCRAM-SHA-512") && message.contains("PLAIN"), "\(message)")
        }
    }

    @Test("A SCRAM username with ',' and '=' is escaped")
    func escapedUsername() async throws {
        try await Fixture.withSim(.saslPlaintext(Fixture.sasl)) { sim in
            var extra = Fixture.saslProperties("SCRAM-SHA-256", tls: false)
            extra["sasl.username"] = "b,ob="
            let admin = try KafkaAdminClient(properties: await Fixture.properties(sim, extra))
            let metadata = try await admin.bootstrap()
            #expect(!metadata.brokers.isEmpty)
            await admin.close()
        }
    }

    @Test("OAUTHBEARER token from a file and from a command")
    func tokenSources() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kgtop-token-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let file = dir + "/token"
        try (Fixture.token + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        try await Fixture.withSim(.saslPlaintext(Fixture.sasl)) { sim in
            for extra in [
                ["sasl.oauthbearer.token.file": file],
                ["sasl.oauthbearer.token.command": "cat '\(file)'"],
            ] {
                var p = ["security.protocol": "sasl_plaintext", "sasl.mechanism": "OAUTHBEARER"]
                p.merge(extra) { $1 }
                let admin = try KafkaAdminClient(properties: await Fixture.properties(sim, p))
                let metadata = try await admin.bootstrap()
                #expect(!metadata.brokers.isEmpty)
                await admin.close()
            }
        }
    }

    @Test("A client without SASL on a SASL listener fails fast (the broker closes on the first non-SASL request)", .timeLimit(.minutes(1)))
    func plaintextClientOnSaslListener() async throws {
        try await Fixture.withSim(.saslPlaintext(Fixture.sasl)) { sim in
            // A request timeout far beyond the test's time limit: the failure must come from the
            // broker closing the connection, not from waiting (the error says which).
            let admin = try KafkaAdminClient(properties: await Fixture.properties(sim, ["socket.timeout.ms": "300000"]))
            let error = await #expect(throws: KafkaAdminError.self) { try await admin.bootstrap() }
            let text = error.map { "\($0)" } ?? ""
            #expect(text.contains("closed"), "\(text)")
            #expect(!text.contains("no answer"), "a timeout, not the broker closing: \(text)")
            await admin.close()
        }
    }

    @Test("SASL configuration is validated with messages naming the property")
    func configurationErrors() throws {
        func message(_ p: [String: String]) -> String {
            var all = ["bootstrap.servers": "127.0.0.1:9092"]
            all.merge(p) { $1 }
            do {
                _ = try AdminConfig(properties: all)
                return "no error"
            } catch {
                return error.description
            }
        }
        #expect(message(["security.protocol": "sasl_plaintext"]).contains("sasl.mechanism"))
        #expect(message(["security.protocol": "sasl_plaintext", "sasl.mechanism": "GSSAPI"]).contains("GSSAPI"))
        #expect(message(["security.protocol": "sasl_plaintext", "sasl.mechanism": "PLAIN", "sasl.password": Fixture.password]).contains("sasl.username"))
        #expect(message(["security.protocol": "sasl_plaintext", "sasl.mechanism": "OAUTHBEARER"]).contains("sasl.oauthbearer.token"))
        #expect(message(["security.protocol": "kerberos"]).contains("plaintext, ssl, sasl_plaintext, sasl_ssl"))
        let withPassword = message(["security.protocol": "sasl_plaintext", "sasl.mechanism": "NOPE", "sasl.username": "a", "sasl.password": Fixture.password])
        #expect(Fixture.leaked(in: withPassword).isEmpty)
    }
}
