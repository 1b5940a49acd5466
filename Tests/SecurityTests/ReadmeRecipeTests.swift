import Foundation
import KgtopTestSupport
import Testing

/// The README's recipe for a simulated cluster in the background works as written: `kgtop sim
/// --ready-file F &`, wait for F, then point kgtop at its contents. (The earlier
/// `kgtop -b "$(kgtop sim | head -1)"` never returned: the substitution waits for the whole pipeline.)
@Suite("README recipes")
struct ReadmeRecipeTests {
    @Test("sim --ready-file in the background, then kgtop -b \"$(cat FILE)\"")
    func simInTheBackground() async throws {
        let readme = try String(contentsOf: Repository.root.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(readme.contains("rm -f /tmp/sim.txt; kgtop sim --ready-file /tmp/sim.txt 2>/dev/null &"))
        #expect(readme.contains("kgtop -b \"$(cat /tmp/sim.txt)\""))

        let binary = try ChildProcess.kgtopBinary()
        let ready = try CLITests.temporaryDirectory() + "/sim.txt"
        let sim = Process()
        sim.executableURL = URL(fileURLWithPath: binary)
        sim.arguments = ["sim", "--brokers", "1", "--scenario", "empty", "--ready-file", ready]
        sim.standardOutput = FileHandle.nullDevice
        sim.standardError = FileHandle.nullDevice
        sim.standardInput = FileHandle.nullDevice
        try sim.run()
        defer { if sim.isRunning { kill(sim.processIdentifier, SIGKILL) } }
        // The recipe's wait, bounded.
        let deadline = ContinuousClock.now + .seconds(60)
        while (try? String(contentsOfFile: ready, encoding: .utf8))?.hasSuffix("\n") != true, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        let bootstrap = try String(contentsOfFile: ready, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(bootstrap.hasPrefix("127.0.0.1:"))
        let r = try await CLITests.kgtop(["snapshot", "--format", "table", "-b", bootstrap])
        #expect(r.status == 0, "\(r.output)")
        #expect(r.stdout.contains("brokers 1/1 up"), "\(r.stdout)")
        kill(sim.processIdentifier, SIGTERM)
        let stopBy = ContinuousClock.now + .seconds(30)
        while sim.isRunning, ContinuousClock.now < stopBy { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!sim.isRunning, "kgtop sim did not stop within 30 s of SIGTERM")
        if !sim.isRunning { #expect(sim.terminationStatus == 0) }
    }
}

