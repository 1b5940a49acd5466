import Foundation
import Testing

/// Messages are for people: no Swift or Foundation type names, no decoder dumps.
@Suite("Messages for people")
struct PlainMessageTests {
    static let internals = ["DecodingError", "Debug description", "CodingKeys", "NSCocoaErrorDomain", "SocketAddressError", "(errno "]

    static func file(_ name: String, _ text: String) throws -> String {
        let path = try CLITests.temporaryDirectory() + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("A JSON file that is not a snapshot is named and explained, for snapshot --from and diff")
    func notASnapshot() async throws {
        let cases: [(String, String)] = [
            ("{\"x\":1}", "the key \"schema\" is missing"),
            ("{\"schema\":\"kgtop.snapshot/1\",\"takenAt\":\"x\"}", "takenAt: expected a whole number"),
            ("nope", "not valid JSON"),
        ]
        for (text, says) in cases {
            let path = try Self.file("bad.json", text)
            for arguments in [["snapshot", "--from", path], ["diff", path, path]] {
                let r = try await CLITests.kgtop(arguments)
                #expect(r.status == 3, "\(arguments): \(r.output)")
                #expect(r.stderr.contains("\(path): not a kgtop snapshot") && r.stderr.contains(says), "\(arguments): \(r.stderr)")
                for word in Self.internals { #expect(!r.output.contains(word), "\(arguments): \(r.output)") }
            }
        }
    }

    @Test("A host name that does not resolve says so in the resolver's words")
    func unknownHost() async throws {
        let r = try await CLITests.kgtop(["snapshot", "-b", "no-such-host.invalid:9092", "-X", "socket.connection.setup.timeout.ms=2000"])
        #expect(r.status == 3)
        #expect(r.stderr.contains("cannot resolve host"), "\(r.stderr)")
        for word in Self.internals { #expect(!r.output.contains(word), "\(r.output)") }
    }
}
