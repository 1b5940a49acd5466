import Crypto
import Foundation

/// The client side of a SCRAM exchange (RFC 5802, with the SHA-256/512 variants of RFC 7677):
/// client-first, server-first, client-final with the proof, and the server's signature checked.
///
/// Usernames are escaped as RFC 5802 asks (`=` as `=3D`, `,` as `=2C`); passwords are used as their
/// UTF-8 bytes (no SASLprep, which matters only for non-ASCII passwords). Channel binding is not
/// used (`n,,`), as in Kafka.
public struct SCRAMClient: Sendable {
    /// The hash of a SCRAM mechanism.
    public enum Hash: String, Sendable, Hashable, CaseIterable {
        /// SCRAM-SHA-256.
        case sha256 = "SCRAM-SHA-256"
        /// SCRAM-SHA-512.
        case sha512 = "SCRAM-SHA-512"

        /// The digest size in bytes.
        var size: Int { self == .sha256 ? 32 : 64 }
    }

    /// A step that cannot go on; the message never contains the password.
    public struct Failure: Error, Sendable, Hashable, CustomStringConvertible {
        /// What went wrong.
        public var message: String
        /// A readable message.
        public var description: String { message }
    }

    /// The mechanism's hash.
    public let hash: Hash
    private let username: String
    private let password: String
    /// The client's nonce (random unless given, e.g. for test vectors).
    public let clientNonce: String
    private var authMessage: [UInt8] = []
    private var serverSignature: [UInt8] = []

    /// Starts an exchange; `clientNonce` defaults to 24 random bytes in base64.
    public init(hash: Hash, username: String, password: String, clientNonce: String? = nil) {
        self.hash = hash
        self.username = username
        self.password = password
        if let clientNonce {
            self.clientNonce = clientNonce
        } else {
            var rng = SystemRandomNumberGenerator()
            self.clientNonce = Base64.encode((0..<24).map { _ in UInt8.random(in: 0...255, using: &rng) })
        }
    }

    /// `n=user,r=nonce`: the client-first message without its GS2 header.
    public var clientFirstBare: String { "n=\(Self.escape(username)),r=\(clientNonce)" }

    /// The client-first message (`n,,` + ``clientFirstBare``).
    public var clientFirstMessage: [UInt8] { Array(("n,," + clientFirstBare).utf8) }

    /// Reads the server-first message and returns the client-final message (with the proof).
    public mutating func clientFinalMessage(serverFirst: [UInt8]) throws(Failure) -> [UInt8] {
        guard let text = String(validating: serverFirst, as: UTF8.self) else {
            throw Failure(message: "server-first message is not UTF-8")
        }
        let fields = Self.attributes(text)
        if let e = fields["e"] { throw Failure(message: "server refused: \(e)") }
        guard let nonce = fields["r"], let saltText = fields["s"], let iterText = fields["i"] else {
            throw Failure(message: "server-first message lacks r, s or i")
        }
        guard nonce.hasPrefix(clientNonce), nonce.count > clientNonce.count else {
            throw Failure(message: "server nonce does not extend the client nonce")
        }
        guard let salt = Base64.decode(saltText), !salt.isEmpty else { throw Failure(message: "salt is not base64") }
        guard let iterations = Int(iterText), (1...10_000_000).contains(iterations) else {
            throw Failure(message: "iteration count '\(iterText)' is out of range")
        }
        let withoutProof = "c=biws,r=\(nonce)"
        authMessage = Array("\(clientFirstBare),\(text),\(withoutProof)".utf8)
        let salted = Self.saltedPassword(hash: hash, password: Array(password.utf8), salt: salt, iterations: iterations)
        let clientKey = Self.hmac(hash, key: salted, Array("Client Key".utf8))
        let storedKey = Self.digest(hash, clientKey)
        let clientSignature = Self.hmac(hash, key: storedKey, authMessage)
        let proof = zip(clientKey, clientSignature).map { $0 ^ $1 }
        let serverKey = Self.hmac(hash, key: salted, Array("Server Key".utf8))
        serverSignature = Self.hmac(hash, key: serverKey, authMessage)
        return Array("\(withoutProof),p=\(Base64.encode(proof))".utf8)
    }

    /// Checks the server-final message (`v=signature`); throws when the server cannot prove it
    /// knows the password (or reports an error).
    public func verify(serverFinal: [UInt8]) throws(Failure) {
        guard let text = String(validating: serverFinal, as: UTF8.self) else {
            throw Failure(message: "server-final message is not UTF-8")
        }
        let fields = Self.attributes(text)
        if let e = fields["e"] { throw Failure(message: "server refused: \(e)") }
        guard let v = fields["v"], let signature = Base64.decode(v) else {
            throw Failure(message: "server-final message lacks its signature")
        }
        guard !serverSignature.isEmpty, signature == serverSignature else {
            throw Failure(message: "the server's signature does not match (the server does not know the credentials)")
        }
    }

    // MARK: - Primitives

    /// `Hi()` of RFC 5802: PBKDF2 with HMAC-`hash`, one block (the output is one digest long).
    public static func saltedPassword(hash: Hash, password: [UInt8], salt: [UInt8], iterations: Int) -> [UInt8] {
        // The broker sends the same salt and iterations to every connection of a user: derive once.
        let key = SaltedKey(hash: hash, password: password, salt: salt, iterations: iterations)
        if let known = saltedCache.get(key) { return known }
        let derived = derive(hash: hash, password: password, salt: salt, iterations: iterations)
        saltedCache.set(key, derived)
        return derived
    }

    private struct SaltedKey: Hashable {
        let hash: Hash
        let password: [UInt8]
        let salt: [UInt8]
        let iterations: Int
    }

    private final class SaltedCache: @unchecked Sendable {
        private let lock = NSLock()
        private var entries: [SaltedKey: [UInt8]] = [:]
        func get(_ key: SaltedKey) -> [UInt8]? {
            lock.lock()
            defer { lock.unlock() }
            return entries[key]
        }
        func set(_ key: SaltedKey, _ value: [UInt8]) {
            lock.lock()
            defer { lock.unlock() }
            if entries.count >= 16 { entries.removeAll() }
            entries[key] = value
        }
    }

    private static let saltedCache = SaltedCache()

    private static func derive(hash: Hash, password: [UInt8], salt: [UInt8], iterations: Int) -> [UInt8] {
        switch hash {
        case .sha256: return pbkdf2(SHA256.self, password: password, salt: salt, iterations: iterations)
        case .sha512: return pbkdf2(SHA512.self, password: password, salt: salt, iterations: iterations)
        }
    }

    private static func pbkdf2<H: HashFunction>(_: H.Type, password: [UInt8], salt: [UInt8], iterations: Int) -> [UInt8] {
        // Key the HMAC once and copy its state for every round: re-keying each of the thousands of
        // rounds would double the work.
        let keyed = HMAC<H>(key: SymmetricKey(data: password))
        var first = keyed
        first.update(data: salt + [0, 0, 0, 1])
        var u = Array(first.finalize())
        var result = u
        if iterations > 1 {
            for _ in 2...iterations {
                var round = keyed
                round.update(data: u)
                u = Array(round.finalize())
                for i in 0..<result.count { result[i] ^= u[i] }
            }
        }
        return result
    }

    static func hmac(_ hash: Hash, key: [UInt8], _ data: [UInt8]) -> [UInt8] {
        let k = SymmetricKey(data: key)
        switch hash {
        case .sha256: return Array(HMAC<SHA256>.authenticationCode(for: data, using: k))
        case .sha512: return Array(HMAC<SHA512>.authenticationCode(for: data, using: k))
        }
    }

    static func digest(_ hash: Hash, _ data: [UInt8]) -> [UInt8] {
        switch hash {
        case .sha256: return Array(SHA256.hash(data: data))
        case .sha512: return Array(SHA512.hash(data: data))
        }
    }

    /// `=` and `,` in a username are escaped as `=3D` and `=2C`.
    static func escape(_ name: String) -> String {
        var out = ""
        for c in name {
            switch c {
            case "=": out += "=3D"
            case ",": out += "=2C"
            default: out.append(c)
            }
        }
        return out
    }

    /// `k=v,k=v` attributes; the value is everything after the first `=`.
    static func attributes(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for part in text.split(separator: ",", omittingEmptySubsequences: true) {
            guard let eq = part.firstIndex(of: "="), part.distance(from: part.startIndex, to: eq) == 1 else { continue }
            out[String(part[..<eq])] = String(part[part.index(after: eq)...])
        }
        return out
    }
}

/// Standard base64 (RFC 4648, with padding), without Foundation.
public enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Encodes `bytes`.
    public static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i + 3 <= bytes.count {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)], alphabet[Int(n & 63)]]
            i += 3
        }
        let rest = bytes.count - i
        if rest == 1 {
            let n = UInt32(bytes[i]) << 16
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], 61, 61]
        } else if rest == 2 {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)], 61]
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes `text`; nil when it is not padded base64.
    public static func decode(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 4 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 4 * 3)
        var i = 0
        while i < chars.count {
            var n: UInt32 = 0
            var pad = 0
            for j in 0..<4 {
                let c = chars[i + j]
                let v: UInt32
                switch c {
                case 65...90: v = UInt32(c - 65)
                case 97...122: v = UInt32(c - 97 + 26)
                case 48...57: v = UInt32(c - 48 + 52)
                case 43: v = 62
                case 47: v = 63
                case 61:
                    guard i + 4 == chars.count, j >= 2 else { return nil }
                    pad += 1
                    v = 0
                default: return nil
                }
                if pad > 0 && c != 61 { return nil }
                n = n << 6 | v
            }
            out.append(UInt8(n >> 16 & 255))
            if pad < 2 { out.append(UInt8(n >> 8 & 255)) }
            if pad < 1 { out.append(UInt8(n & 255)) }
            i += 4
        }
        return out
    }
}
