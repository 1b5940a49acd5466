import ArgumentParser
import Foundation
import Synchronization
import Workload

/// `kgtop load`: a producer for test traffic, with a live rate line.
public struct LoadCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Produce test traffic to a topic at a steady rate (a real librdkafka producer).",
        discussion: """
            Prints a live rate line on stderr (one line redrawn in place on a terminal, a line every \
            few seconds otherwise) and a summary at the end (after --duration, or on Ctrl-C).
            Producer properties go through -X/-F unchanged (acks, linger.ms, compression.type, ...).
            Exit codes: 0 every message was acknowledged, 1 some deliveries failed, 64 bad input.
            """)

    @OptionGroup var connection: ConnectionOptions

    @Option(help: ArgumentHelp("The topic to produce to.", valueName: "topic"))
    var topic: String

    @Option(parsing: .unconditional, help: ArgumentHelp("Messages per second: 500, 500/s, 2k/s, 30/m.", valueName: "N/s"))
    var rate: String

    @Option(parsing: .unconditional, help: ArgumentHelp("Payload size in bytes.", valueName: "bytes"))
    var size: Int = 100

    @Option(parsing: .unconditional, help: ArgumentHelp("Distinct keys, used round-robin; 0: no key, partitions spread by librdkafka.", valueName: "K"))
    var keys: Int = 0

    @Option(parsing: .unconditional, help: ArgumentHelp("Stop after this long: 30s, 5m, 1h30m, 500ms (default: until Ctrl-C).", valueName: "duration"), transform: DurationArgument.transform)
    var duration: DurationArgument?

    public init() {}

    /// The largest payload `--size` accepts (10 MB).
    static let maxMessageBytes = 10_000_000

    public func validate() throws {
        if !(0...Self.maxMessageBytes).contains(size) { throw ValidationError("--size must be 0 to \(Self.maxMessageBytes) bytes") }
        if !(0...1_000_000).contains(keys) { throw ValidationError("--keys must be 0 to 1000000") }
        if let duration, duration.milliseconds < 1 { throw ValidationError("--duration must be positive") }
        if topic.isEmpty { throw ValidationError("--topic must not be empty") }
    }

    public func run() async throws {
        do {
            let perSecond = try parseRate(rate)
            let limit = duration?.duration
            let props = try connection.resolvedProperties()
            let producer: WorkloadProducer
            do {
                producer = try WorkloadProducer(WorkloadProducerConfig(
                    topic: topic, ratePerSecond: perSecond, messageSize: size, keyCount: keys,
                    properties: ClientProperties(props), name: "load"))
            } catch {
                throw UserFacingError("\(error)")
            }
            let interrupted = InterruptFlag.install()
            let tty = isatty(STDERR_FILENO) == 1
            let started = ContinuousClock.now
            let every: Duration = tty ? .seconds(1) : .seconds(5)
            var lastPrint = started
            var lastDelivered: Int64 = 0
            printError("kgtop load: \(topic) at \(formatRate(perSecond)), \(size) B, \(keys == 0 ? "no keys" : "\(keys) keys"), librdkafka \(Workload.librdkafkaVersion)")
            while !interrupted.isSet {
                let now = ContinuousClock.now
                if let limit, now - started >= limit { break }
                if now - lastPrint >= every {
                    let s = producer.status
                    let rateNow = Double(s.delivered - lastDelivered) / seconds(now - lastPrint)
                    lastDelivered = s.delivered
                    lastPrint = now
                    let line = statusLine(s, elapsed: now - started, rateNow: rateNow)
                    if tty {
                        FileHandle.standardError.write(Data("\r\u{1B}[2K\(line)".utf8))
                    } else {
                        printError(line)
                    }
                }
                try? await Task.sleep(for: .milliseconds(100))
            }
            if tty { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }
            let final = await producer.stop()
            let elapsed = ContinuousClock.now - started
            printError("kgtop load: \(final.delivered) delivered, \(final.failed) failed, \(final.sent) sent in \(String(format: "%.1f", seconds(elapsed))) s (\(formatRate(Double(final.delivered) / max(seconds(elapsed), 0.001))) average, \(formatBytes(final.bytesDelivered)))\(final.lastError.map { "; last error: \($0)" } ?? "")")
            if final.failed > 0 || final.delivered < final.sent { throw ExitCode(1) }
        } catch let e as UserFacingError {
            throw report(e)
        }
    }

    private func statusLine(_ s: WorkloadProducer.Status, elapsed: Duration, rateNow: Double) -> String {
        "\(String(format: "%6.1f", seconds(elapsed))) s  sent \(s.sent)  delivered \(s.delivered)  \(formatRate(rateNow))  failed \(s.failed)  in flight \(s.sent - s.delivered - s.failed)\(s.queueFull > 0 ? "  queue full \(s.queueFull)" : "")\(s.lastError.map { "  last error: \($0)" } ?? "")"
    }
}

// MARK: - Argument helpers shared by load and rehearse

/// Seconds in a duration, as a Double.
func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

/// `1234.5/s` → `1234/s`, `2.5/s` → `2.5/s`.
func formatRate(_ perSecond: Double) -> String {
    perSecond >= 100 ? String(format: "%.0f/s", perSecond) : String(format: "%.1f/s", perSecond)
}

/// Bytes as B, KiB, MiB.
func formatBytes(_ n: Int64) -> String {
    if n < 1024 { return "\(n) B" }
    if n < 1024 * 1024 { return String(format: "%.1f KiB", Double(n) / 1024) }
    return String(format: "%.1f MiB", Double(n) / 1024 / 1024)
}

/// The highest `--rate` accepted, in messages per second.
let maxRatePerSecond = 1_000_000.0

/// Parses `500`, `500/s`, `2k/s`, `1.5k`, `30/m`, `3600/h` into messages per second (at most
/// ``maxRatePerSecond``).
func parseRate(_ text: String) throws(UserFacingError) -> Double {
    var body = text.trimmingCharacters(in: .whitespaces).lowercased()
    var per = 1.0
    if let slash = body.firstIndex(of: "/") {
        let unit = body[body.index(after: slash)...]
        switch unit {
        case "s", "sec": per = 1
        case "m", "min": per = 60
        case "h": per = 3600
        default: throw UserFacingError("--rate \(text): the unit after / must be s, m or h")
        }
        body = String(body[..<slash])
    }
    var factor = 1.0
    if body.hasSuffix("k") { factor = 1000; body.removeLast() }
    guard let n = Double(body), n > 0, n.isFinite else {
        throw UserFacingError("--rate \(text): expected a positive number of messages per second, e.g. 500/s")
    }
    let perSecond = n * factor / per
    guard perSecond <= maxRatePerSecond else {
        throw UserFacingError("--rate \(text): at most \(Int(maxRatePerSecond)) messages per second")
    }
    return perSecond
}

/// Raised by the SIGINT handler that ``InterruptFlag/install()`` sets.
private let interruptReceived = Atomic<Bool>(false)

/// Set once SIGINT arrives (after ``install()``), so a command can finish and summarise.
struct InterruptFlag: Sendable {
    /// Whether SIGINT arrived.
    var isSet: Bool { interruptReceived.load(ordering: .relaxed) }

    /// Replaces SIGINT's default action (exit) by raising the flag (an atomic store, which is
    /// safe in a signal handler).
    static func install() -> InterruptFlag {
        signal(SIGINT) { _ in interruptReceived.store(true, ordering: .relaxed) }
        return InterruptFlag()
    }
}
