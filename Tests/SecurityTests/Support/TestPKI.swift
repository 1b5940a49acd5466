import Foundation
import KgtopTestSupport

/// Certificates made with the `openssl` command at test time, in a fresh temporary directory:
/// a CA, a server certificate for 127.0.0.1/localhost, an expired server certificate, a client
/// certificate (with a plain and a passphrase-protected key), and a second, unrelated CA.
struct TestPKI: Sendable {
    let directory: String
    var caPEM: String { directory + "/ca.pem" }
    var otherCAPEM: String { directory + "/other-ca.pem" }
    var serverPEM: String { directory + "/server.pem" }
    var serverKey: String { directory + "/server.key" }
    var expiredPEM: String { directory + "/expired.pem" }
    var expiredKey: String { directory + "/expired.key" }
    var clientPEM: String { directory + "/client.pem" }
    var clientKey: String { directory + "/client.key" }
    var clientKeyEncrypted: String { directory + "/client-encrypted.key" }
    static let clientKeyPassphrase = "key-pass-Zq81"

    /// The PKI, generated once per test process. Generation runs on a Dispatch thread and callers
    /// wait by suspending: blocking the cooperative pool (two threads here) would stall every
    /// simulator in the process meanwhile.
    static func shared() async throws -> TestPKI {
        try await Cache.shared.get()
    }

    private actor Cache {
        static let shared = Cache()
        private var task: Task<TestPKI, any Error>?

        func get() async throws -> TestPKI {
            if let task { return try await task.value }
            let made = Task {
                try await withCheckedThrowingContinuation { (c: CheckedContinuation<TestPKI, any Error>) in
                    Thread { c.resume(with: Result { try TestPKI.generate() }) }.start()
                }
            }
            task = made
            return try await made.value
        }
    }

    struct OpenSSLFailed: Error, CustomStringConvertible {
        var description: String
    }

    private static func generate() throws -> TestPKI {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kgtop-pki-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let config = """
            [req]
            distinguished_name = dn
            prompt = no
            [dn]
            CN = placeholder
            [v3_ca]
            basicConstraints = critical,CA:TRUE
            keyUsage = critical,keyCertSign,cRLSign
            subjectKeyIdentifier = hash
            [server]
            basicConstraints = CA:FALSE
            keyUsage = critical,digitalSignature
            extendedKeyUsage = serverAuth
            subjectAltName = IP:127.0.0.1,DNS:localhost
            [client]
            basicConstraints = CA:FALSE
            keyUsage = critical,digitalSignature
            extendedKeyUsage = clientAuth
            [ca]
            default_ca = testca
            [testca]
            database = \(dir)/index.txt
            new_certs_dir = \(dir)
            serial = \(dir)/serial
            default_md = sha256
            policy = anything
            unique_subject = no
            copy_extensions = none
            [anything]
            commonName = supplied

            """
        try config.write(toFile: dir + "/openssl.cnf", atomically: true, encoding: .utf8)
        try "".write(toFile: dir + "/index.txt", atomically: true, encoding: .utf8)
        try "01\n".write(toFile: dir + "/serial", atomically: true, encoding: .utf8)
        let cnf = dir + "/openssl.cnf"
        func key(_ name: String) throws {
            try openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "\(dir)/\(name)"])
        }
        func ca(_ name: String, cn: String) throws {
            try key("\(name).key")
            try openssl(["req", "-x509", "-new", "-config", cnf, "-extensions", "v3_ca", "-key", "\(dir)/\(name).key",
                         "-subj", "/CN=\(cn)", "-days", "3", "-sha256", "-out", "\(dir)/\(name).pem"])
        }
        func csr(_ name: String, cn: String) throws {
            try key("\(name).key")
            try openssl(["req", "-new", "-config", cnf, "-key", "\(dir)/\(name).key", "-subj", "/CN=\(cn)", "-out", "\(dir)/\(name).csr"])
        }
        func sign(_ name: String, extensions: String) throws {
            try openssl(["x509", "-req", "-in", "\(dir)/\(name).csr", "-CA", "\(dir)/ca.pem", "-CAkey", "\(dir)/ca.key",
                         "-set_serial", "\(Int.random(in: 1000...1_000_000))", "-days", "2", "-sha256",
                         "-extfile", cnf, "-extensions", extensions, "-out", "\(dir)/\(name).pem"])
        }
        try ca("ca", cn: "kgtop test CA")
        try ca("other-ca", cn: "kgtop unrelated CA")
        try csr("server", cn: "localhost")
        try sign("server", extensions: "server")
        try csr("client", cn: "kgtop-client")
        try sign("client", extensions: "client")
        try openssl(["pkey", "-in", "\(dir)/client.key", "-aes256", "-passout", "pass:\(clientKeyPassphrase)", "-out", "\(dir)/client-encrypted.key"])
        // An expired certificate: `openssl ca` accepts explicit validity dates in the past.
        try csr("expired", cn: "localhost")
        try openssl(["ca", "-batch", "-notext", "-config", cnf, "-name", "testca", "-cert", "\(dir)/ca.pem", "-keyfile", "\(dir)/ca.key",
                     "-in", "\(dir)/expired.csr", "-out", "\(dir)/expired.pem", "-extensions", "server",
                     "-startdate", "20200101000000Z", "-enddate", "20200102000000Z"])
        return TestPKI(directory: dir)
    }

    private static func openssl(_ arguments: [String]) throws {
        let result = try ChildProcess.run("/usr/bin/env", ["openssl"] + arguments, timeout: .seconds(30))
        guard result.status == 0 else {
            throw OpenSSLFailed(description: "openssl \(arguments.first ?? "") failed (\(result.status)): \(result.stderr)")
        }
    }
}
