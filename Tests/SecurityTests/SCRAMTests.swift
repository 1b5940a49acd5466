import KafkaAdmin
import Testing

@Suite("SCRAM client math")
struct SCRAMTests {
    @Test("RFC 7677's SCRAM-SHA-256 example: client-final with proof, and the server signature")
    func rfc7677() throws {
        var client = SCRAMClient(hash: .sha256, username: "user", password: "pencil", clientNonce: "rOprNGfwEbeRWgbNEkqO")
        #expect(String(decoding: client.clientFirstMessage, as: UTF8.self) == "n,,n=user,r=rOprNGfwEbeRWgbNEkqO")
        let serverFirst = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
        let final = try client.clientFinalMessage(serverFirst: Array(serverFirst.utf8))
        #expect(String(decoding: final, as: UTF8.self)
            == "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
        try client.verify(serverFinal: Array("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=".utf8))
        #expect(throws: SCRAMClient.Failure.self) {
            try client.verify(serverFinal: Array("v=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".utf8))
        }
    }

    @Test("A server nonce that does not extend the client's, or an error attribute, is refused")
    func badServerFirst() {
        var client = SCRAMClient(hash: .sha512, username: "u", password: "p", clientNonce: "abc")
        #expect(throws: SCRAMClient.Failure.self) { _ = try client.clientFinalMessage(serverFirst: Array("r=xyz,s=QUJD,i=4096".utf8)) }
        #expect(throws: SCRAMClient.Failure.self) { _ = try client.clientFinalMessage(serverFirst: Array("e=invalid-proof".utf8)) }
        #expect(throws: SCRAMClient.Failure.self) { _ = try client.clientFinalMessage(serverFirst: Array("r=abcd,s=QUJD,i=0".utf8)) }
    }

    @Test("Base64 round-trips and rejects garbage")
    func base64() {
        for n in 0..<40 {
            let bytes = (0..<n).map { UInt8(($0 * 37 + n) & 255) }
            #expect(Base64.decode(Base64.encode(bytes)) == bytes)
        }
        #expect(Base64.encode(Array("n,,".utf8)) == "biws")
        #expect(Base64.decode("a$==") == nil)
        #expect(Base64.decode("abc") == nil)
    }
}
