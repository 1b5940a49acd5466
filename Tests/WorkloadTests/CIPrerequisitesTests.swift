import Foundation
import Testing
import Workload

/// Tests that need a peer skip with a message when it is missing on a developer's machine. CI always
/// has every peer (the bootstrap installs them, ../shared lies beside the clone), so under `CI=true`
/// a missing one is a failure here instead of a silent skip elsewhere.
@Suite("CI prerequisites", .enabled(if: ProcessInfo.processInfo.environment["CI"] == "true", "runs only under CI=true"))
struct CIPrerequisitesTests {
    static let environment = ProcessInfo.processInfo.environment

    @Test("Every peer variable is set and names something that exists", arguments: [
        "KGTOP_VENV", "KGTOP_TANSU", "KGTOP_RDKAFKA216_DIR", "KGTOP_SHARED",
    ])
    func peerVariable(_ name: String) {
        let value = Self.environment[name] ?? ""
        #expect(!value.isEmpty, "\(name) is not set: run the tests through `make test`")
        #expect(FileManager.default.fileExists(atPath: value), "\(name)=\(value) does not exist")
    }

    @Test("The shared fixtures and message specs are present")
    func shared() {
        let shared = Self.environment["KGTOP_SHARED"] ?? ""
        for sub in ["fixtures/wire", "kafka-message-specs"] {
            #expect(FileManager.default.fileExists(atPath: shared + "/" + sub), "\(shared)/\(sub) is missing")
        }
    }

    @Test("The venv's Python has confluent-kafka and librdkafka 2.16 is linked")
    func venv() {
        let venv = Self.environment["KGTOP_VENV"] ?? ""
        #expect(FileManager.default.isExecutableFile(atPath: venv + "/bin/python"), "\(venv)/bin/python")
        let lib = (Self.environment["KGTOP_RDKAFKA216_DIR"] ?? "") + "/librdkafka.so.1"
        #expect(FileManager.default.fileExists(atPath: lib), "\(lib) is missing")
    }

    @Test("The linked librdkafka answers (the in-process rehearsals run on it)")
    func linkedLibrdkafka() {
        #expect(Workload.librdkafkaVersion.split(separator: ".").count >= 2, "librdkafka version '\(Workload.librdkafkaVersion)'")
    }

    @Test("The kgtop binary with every subcommand the tests drive is built")
    func binary() {
        #expect(Peers.kgtop != nil, "no kgtop binary with `rehearse` beside the tests: the subcommand is gone or the build is missing")
    }
}
