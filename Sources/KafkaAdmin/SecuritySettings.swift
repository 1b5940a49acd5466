import Foundation
import NIOSSL

/// A secret string (a password, a token) that never prints: its description is `[redacted]`.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The secret itself; read it only to send it.
    public let value: String
    /// Wraps `value`.
    public init(_ value: String) { self.value = value }
    /// `[redacted]`.
    public var description: String { "[redacted]" }
    /// `[redacted]`.
    public var debugDescription: String { "[redacted]" }
    /// Hides the value from `dump` and mirrors.
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}

/// Which client property keys hold secrets: their values are never printed, and a configuration
/// file may give them only by reference. The one rule for every output kgtop makes (the CLI's
/// `-X`/`-F` properties, config contexts, the librdkafka clients of `load` and `rehearse`).
public enum SecretProperties {
    /// Whether `key`'s value is a secret (case does not matter): a key that mentions a password,
    /// a secret, a token, JAAS, a private key, `ssl_key`, librdkafka's `sasl.oauthbearer.config`,
    /// or a `.key.pem`.
    public static func isSecret(_ key: String) -> Bool {
        let k = key.lowercased()
        return ["password", "secret", "token", "jaas", "private.key", "ssl_key", "sasl.oauthbearer.config", ".key.pem"]
            .contains { k.contains($0) }
    }

    /// Secret-looking keys whose value is itself a reference to the secret (a file or a command),
    /// so they may be written literally.
    public static let referenceKeys: Set<String> = ["sasl.oauthbearer.token.file", "sasl.oauthbearer.token.command"]
}

/// TLS and SASL settings, validated from `security.protocol`, `sasl.*` and `ssl.*` properties.
public struct SecuritySettings: Sendable, Hashable, CustomStringConvertible {
    /// SASL mechanisms kgtop speaks.
    public enum Mechanism: String, Sendable, Hashable, CaseIterable {
        /// `PLAIN`: username and password in the clear (use it over TLS).
        case plain = "PLAIN"
        /// `SCRAM-SHA-256` (RFC 7677).
        case scramSHA256 = "SCRAM-SHA-256"
        /// `SCRAM-SHA-512`.
        case scramSHA512 = "SCRAM-SHA-512"
        /// `OAUTHBEARER` with a token obtained beforehand (RFC 7628).
        case oauthBearer = "OAUTHBEARER"
    }

    /// Where an OAUTHBEARER token comes from.
    public enum TokenSource: Sendable, Hashable {
        /// `sasl.oauthbearer.token`: the token itself.
        case value(Secret)
        /// `sasl.oauthbearer.token.file`: read (whitespace trimmed) for every new connection.
        case file(String)
        /// `sasl.oauthbearer.token.command`: run with `/bin/sh -c` for every new connection; its
        /// standard output (trimmed) is the token.
        case command(String)
    }

    /// SASL settings.
    public struct SASL: Sendable, Hashable {
        /// The mechanism.
        public var mechanism: Mechanism
        /// `sasl.username` (PLAIN, SCRAM).
        public var username: String
        /// `sasl.password` (PLAIN, SCRAM).
        public var password: Secret
        /// OAUTHBEARER's token.
        public var token: TokenSource?
    }

    /// TLS settings.
    public struct TLS: Sendable, Hashable {
        /// `ssl.ca.location`: a PEM file of trusted CA certificates; nil uses the system's.
        public var caLocation: String?
        /// `ssl.certificate.location`: the client's certificate chain (PEM), for mutual TLS.
        public var certificateLocation: String?
        /// `ssl.key.location`: the client's private key (PEM).
        public var keyLocation: String?
        /// `ssl.key.password`: the private key's passphrase.
        public var keyPassword: Secret?
        /// `enable.ssl.certificate.verification`: false skips every check of the broker's certificate.
        public var verifyCertificate = true
        /// `ssl.endpoint.identification.algorithm`: `https` (default) checks the host name or IP
        /// against the certificate, `none` does not.
        public var verifyHostname = true
    }

    /// `security.protocol`.
    public var securityProtocol: AdminConfig.SecurityProtocol
    /// SASL settings, nil for `plaintext` and `ssl`.
    public var sasl: SASL?
    /// TLS settings, nil for `plaintext` and `sasl_plaintext`.
    public var tls: TLS?

    /// No TLS, no SASL.
    public static let plaintext = SecuritySettings(securityProtocol: .plaintext, sasl: nil, tls: nil)

    /// The `sasl.*` and `ssl.*` properties kgtop reads (others are accepted and ignored, as
    /// librdkafka has many that do not apply here).
    public static let knownProperties: [String] = [
        "sasl.mechanism", "sasl.mechanisms", "sasl.username", "sasl.password",
        "sasl.oauthbearer.token", "sasl.oauthbearer.token.file", "sasl.oauthbearer.token.command",
        "ssl.ca.location", "ssl.certificate.location", "ssl.key.location", "ssl.key.password",
        "ssl.endpoint.identification.algorithm", "enable.ssl.certificate.verification",
    ]

    /// Describes the settings without any secret.
    public var description: String {
        var parts = ["security.protocol=\(securityProtocol.rawValue)"]
        if let sasl {
            parts.append("sasl.mechanism=\(sasl.mechanism.rawValue)")
            if !sasl.username.isEmpty { parts.append("sasl.username=\(sasl.username)") }
        }
        if let tls {
            if let ca = tls.caLocation { parts.append("ssl.ca.location=\(ca)") }
            if let cert = tls.certificateLocation { parts.append("ssl.certificate.location=\(cert)") }
            if !tls.verifyCertificate { parts.append("enable.ssl.certificate.verification=false") }
        }
        return parts.joined(separator: " ")
    }

    /// Validates the settings: a SASL protocol needs a supported mechanism and its credentials, and
    /// every certificate or key file must be readable and parse.
    public init(securityProtocol: AdminConfig.SecurityProtocol, properties p: [String: String]) throws(KafkaAdminError) {
        self.securityProtocol = securityProtocol
        switch securityProtocol {
        case .saslPlaintext, .saslSSL:
            let key = p["sasl.mechanism"] != nil ? "sasl.mechanism" : "sasl.mechanisms"
            let names = Mechanism.allCases.map(\.rawValue).joined(separator: ", ")
            guard let raw = p[key] else {
                throw .invalidConfiguration(key: "sasl.mechanism", message: "missing for security.protocol=\(securityProtocol.rawValue); one of \(names)")
            }
            guard let mechanism = Mechanism(rawValue: raw.trimmingCharactersInWhitespace().uppercased()) else {
                throw .invalidConfiguration(key: key, message: "'\(raw)' is not supported; one of \(names)")
            }
            var sasl = SASL(mechanism: mechanism, username: p["sasl.username"] ?? "", password: Secret(p["sasl.password"] ?? ""))
            switch mechanism {
            case .plain, .scramSHA256, .scramSHA512:
                guard !sasl.username.isEmpty else {
                    throw .invalidConfiguration(key: "sasl.username", message: "missing; \(mechanism.rawValue) needs sasl.username and sasl.password")
                }
                guard p["sasl.password"] != nil else {
                    throw .invalidConfiguration(key: "sasl.password", message: "missing; \(mechanism.rawValue) needs sasl.username and sasl.password")
                }
            case .oauthBearer:
                let given = ["sasl.oauthbearer.token", "sasl.oauthbearer.token.file", "sasl.oauthbearer.token.command"].filter { p[$0] != nil }
                guard given.count == 1 else {
                    throw .invalidConfiguration(
                        key: "sasl.oauthbearer.token",
                        message: given.isEmpty
                            ? "missing; OAUTHBEARER needs one of sasl.oauthbearer.token, sasl.oauthbearer.token.file, sasl.oauthbearer.token.command"
                            : "give only one of \(given.joined(separator: ", "))")
                }
                if let t = p["sasl.oauthbearer.token"] {
                    sasl.token = .value(Secret(t))
                } else if let f = p["sasl.oauthbearer.token.file"] {
                    try Self.checkReadable(key: "sasl.oauthbearer.token.file", path: f)
                    sasl.token = .file(f)
                } else if let c = p["sasl.oauthbearer.token.command"] {
                    sasl.token = .command(c)
                }
            }
            self.sasl = sasl
        case .plaintext, .ssl:
            self.sasl = nil
        }
        switch securityProtocol {
        case .ssl, .saslSSL:
            var tls = TLS()
            tls.caLocation = p["ssl.ca.location"]
            tls.certificateLocation = p["ssl.certificate.location"]
            tls.keyLocation = p["ssl.key.location"]
            tls.keyPassword = p["ssl.key.password"].map(Secret.init)
            if let v = p["enable.ssl.certificate.verification"] {
                switch v.lowercased() {
                case "true": tls.verifyCertificate = true
                case "false": tls.verifyCertificate = false
                default: throw .invalidConfiguration(key: "enable.ssl.certificate.verification", message: "'\(v)' is not true or false")
                }
            }
            if let v = p["ssl.endpoint.identification.algorithm"] {
                switch v.lowercased() {
                case "https": tls.verifyHostname = true
                case "none", "": tls.verifyHostname = false
                default: throw .invalidConfiguration(key: "ssl.endpoint.identification.algorithm", message: "'\(v)' is not https or none")
                }
            }
            if (tls.certificateLocation == nil) != (tls.keyLocation == nil) {
                throw .invalidConfiguration(
                    key: tls.certificateLocation == nil ? "ssl.certificate.location" : "ssl.key.location",
                    message: "missing; a client certificate needs both ssl.certificate.location and ssl.key.location")
            }
            self.tls = tls
            _ = try makeTLSContext()
        case .plaintext, .saslPlaintext:
            self.tls = nil
        }
    }

    private init(securityProtocol: AdminConfig.SecurityProtocol, sasl: SASL?, tls: TLS?) {
        self.securityProtocol = securityProtocol
        self.sasl = sasl
        self.tls = tls
    }

    /// Warnings the user should see once (printed by the CLI at start): turned-off verification.
    public var warnings: [String] {
        guard let tls else { return [] }
        var out: [String] = []
        if !tls.verifyCertificate {
            out.append("enable.ssl.certificate.verification=false: the brokers' certificates are NOT checked; anyone on the network path can impersonate them")
        } else if !tls.verifyHostname {
            out.append("ssl.endpoint.identification.algorithm=none: the brokers' host names are NOT checked against their certificates")
        }
        return out
    }

    /// The client TLS context; nil without TLS. A file that cannot be read or parsed is an
    /// ``KafkaAdminError/invalidConfiguration(key:message:)`` naming the property and the path.
    public func makeTLSContext() throws(KafkaAdminError) -> NIOSSLContext? {
        guard let tls else { return nil }
        var c = TLSConfiguration.makeClientConfiguration()
        c.minimumTLSVersion = .tlsv12
        if !tls.verifyCertificate {
            c.certificateVerification = .none
        } else if !tls.verifyHostname {
            c.certificateVerification = .noHostnameVerification
        } else {
            c.certificateVerification = .fullVerification
        }
        if let ca = tls.caLocation {
            let certs = try Self.loadCertificates(key: "ssl.ca.location", path: ca)
            c.trustRoots = .certificates(certs)
        }
        if let certPath = tls.certificateLocation, let keyPath = tls.keyLocation {
            let chain = try Self.loadCertificates(key: "ssl.certificate.location", path: certPath)
            try Self.checkReadable(key: "ssl.key.location", path: keyPath)
            let key: NIOSSLPrivateKey
            do {
                // Always with a callback: without one, BoringSSL would prompt on the terminal for
                // an encrypted key's passphrase.
                let bytes = Array((tls.keyPassword?.value ?? "").utf8)
                key = try NIOSSLPrivateKey(file: keyPath, format: .pem) { (setter: NIOSSLPassphraseSetter<[UInt8]>) in setter(bytes) }
            } catch {
                throw .invalidConfiguration(
                    key: "ssl.key.location",
                    message: "cannot load a PEM private key from \(keyPath)\(tls.keyPassword == nil ? " (encrypted? set ssl.key.password)" : " (wrong ssl.key.password?)")")
            }
            c.certificateChain = chain.map { .certificate($0) }
            c.privateKey = .privateKey(key)
        }
        do {
            return try NIOSSLContext(configuration: c)
        } catch {
            throw .invalidConfiguration(key: "ssl.*", message: "cannot set up TLS: \(error)")
        }
    }

    static func checkReadable(key: String, path: String) throws(KafkaAdminError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .invalidConfiguration(key: key, message: "cannot read \(path): no such file")
        }
        guard !isDirectory.boolValue else { throw .invalidConfiguration(key: key, message: "cannot read \(path): it is a directory") }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw .invalidConfiguration(key: key, message: "cannot read \(path): permission denied")
        }
    }

    static func loadCertificates(key: String, path: String) throws(KafkaAdminError) -> [NIOSSLCertificate] {
        try checkReadable(key: key, path: path)
        let certs: [NIOSSLCertificate]
        do { certs = try NIOSSLCertificate.fromPEMFile(path) } catch {
            throw .invalidConfiguration(key: key, message: "\(path) holds no readable PEM certificate")
        }
        guard !certs.isEmpty else { throw .invalidConfiguration(key: key, message: "\(path) holds no PEM certificate") }
        return certs
    }

    /// Runs `command` with `/bin/sh -c`: its exit status and trimmed standard output.
    private static func runTokenCommand(_ command: String) -> (Int32, String?) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { return (-1, nil) }
        try? out.fileHandleForWriting.close()
        let killer = DispatchWorkItem { if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + 10, execute: killer)
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        killer.cancel()
        return (process.terminationStatus, String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// The OAUTHBEARER token now (reading the file or running the command).
    func currentToken(address: String) async throws(BrokerConnectionError) -> Secret {
        guard let source = sasl?.token else {
            throw .authenticationFailed(address: address, message: "no OAUTHBEARER token configured")
        }
        switch source {
        case let .value(s): return s
        case let .file(path):
            guard let data = FileManager.default.contents(atPath: path),
                  let text = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty
            else {
                throw .authenticationFailed(address: address, message: "cannot read a token from sasl.oauthbearer.token.file \(path)")
            }
            return Secret(text)
        case let .command(command):
            // Run on a thread of its own, never on the cooperative pool or Dispatch's global
            // queues (on Linux both have as many threads as cores: a blocked one stalls other
            // work), and killed after 10 s.
            let outcome = await withCheckedContinuation { (c: CheckedContinuation<(Int32, String?), Never>) in
                Thread { c.resume(returning: Self.runTokenCommand(command)) }.start()
            }
            guard outcome.0 == 0, let text = outcome.1, !text.isEmpty else {
                throw .authenticationFailed(
                    address: address, message: "sasl.oauthbearer.token.command exited with status \(outcome.0) and no token")
            }
            return Secret(text)
        }
    }
}
