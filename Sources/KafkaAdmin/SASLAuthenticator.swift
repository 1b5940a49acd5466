import KafkaProtocol
import KafkaWire

/// Authenticates a new connection: SaslHandshake v1, then SaslAuthenticate rounds (v0-v2, the
/// highest the broker lists) for the configured mechanism. Runs after ApiVersions, as Kafka
/// clients do, and before any other request.
///
/// Failures are ``BrokerConnectionError/authenticationFailed(address:message:)`` carrying the
/// broker's message, which never includes the password (kgtop never puts it in one either).
enum SASLAuthenticator {
    static func authenticate(
        on connection: BrokerConnection, versions: BrokerAPIVersions, settings: SecuritySettings,
        timeout: Duration, stats: inout RequestStats
    ) async throws(BrokerConnectionError) {
        guard let sasl = settings.sasl else { return }
        let address = connection.address
        // SaslHandshake v0 would mean raw (unframed) SASL tokens, which only pre-1.0 brokers need.
        if let listed = versions.ranges[SaslHandshakeRequest.apiKey], listed.upperBound < 1 {
            throw .authenticationFailed(address: address, message: "the broker lacks SaslHandshake v1 (Kafka 1.0+ is needed)")
        }
        var local = RequestStats()
        defer { stats.merge(local) }
        let handshake = try await connection.exchange(
            SaslHandshakeRequest(mechanism: sasl.mechanism.rawValue), version: 1, timeout: timeout)
        local.record(api: "SaslHandshake", bytesSent: handshake.bytesSent, bytesReceived: handshake.bytesReceived, failed: handshake.response.errorCode != 0)
        if handshake.response.errorCode != 0 {
            let offered = handshake.response.mechanisms.joined(separator: ", ")
            throw .authenticationFailed(
                address: address,
                message: "the broker does not accept sasl.mechanism=\(sasl.mechanism.rawValue)"
                    + (offered.isEmpty ? "" : " (it offers \(offered))")
                    + " [\(KafkaErrorCode(handshake.response.errorCode).name)]")
        }
        let version = versions.negotiate(apiKey: SaslAuthenticateRequest.apiKey, ours: 0...2) ?? 0

        func round(_ bytes: [UInt8]) async throws(BrokerConnectionError) -> SaslAuthenticateResponse {
            let exchange = try await connection.exchange(SaslAuthenticateRequest(authBytes: bytes), version: version, timeout: timeout)
            let r = exchange.response
            local.record(api: "SaslAuthenticate", bytesSent: exchange.bytesSent, bytesReceived: exchange.bytesReceived, failed: r.errorCode != 0)
            if r.errorCode != 0 {
                let message = r.errorMessage.flatMap { $0.isEmpty ? nil : $0 } ?? "the broker rejected the credentials"
                throw .authenticationFailed(
                    address: address,
                    message: "\(message) [\(KafkaErrorCode(r.errorCode).name), sasl.mechanism=\(sasl.mechanism.rawValue)]")
            }
            return r
        }

        switch sasl.mechanism {
        case .plain:
            let bytes: [UInt8] = [0] + Array(sasl.username.utf8) + [0] + Array(sasl.password.value.utf8)
            _ = try await round(bytes)
        case .scramSHA256, .scramSHA512:
            var scram = SCRAMClient(
                hash: sasl.mechanism == .scramSHA256 ? .sha256 : .sha512, username: sasl.username, password: sasl.password.value)
            let first = try await round(scram.clientFirstMessage)
            let final: [UInt8]
            do { final = try scram.clientFinalMessage(serverFirst: first.authBytes) } catch {
                throw .authenticationFailed(address: address, message: "SCRAM: \(error.message)")
            }
            let last = try await round(final)
            do { try scram.verify(serverFinal: last.authBytes) } catch {
                throw .authenticationFailed(address: address, message: "SCRAM: \(error.message)")
            }
        case .oauthBearer:
            let token = try await settings.currentToken(address: address)
            let bytes = Array("n,,\u{1}auth=Bearer \(token.value)\u{1}\u{1}".utf8)
            let answer = try await round(bytes)
            if !answer.authBytes.isEmpty {
                // RFC 7628: the server sent an error status; the client acknowledges with 0x01 and
                // the broker then fails the exchange. Report the status the broker gave.
                let status = String(decoding: answer.authBytes, as: UTF8.self)
                _ = try? await round([1])
                throw .authenticationFailed(address: address, message: "the broker rejected the OAUTHBEARER token: \(status)")
            }
        }
    }
}
