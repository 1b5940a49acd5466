import ArgumentParser
import Foundation
import GroupModel
import Monitor

/// `kgtop snapshot`: one poll, printed as JSON (schema kgtop.snapshot/1) or as a table.
public struct SnapshotCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "snapshot",
        abstract: "Poll the cluster once and print every group as JSON or a table.",
        discussion: """
            JSON (schema kgtop.snapshot/1, documented in the README) is the default when stdout is not a \
            terminal; groups, members and partitions are sorted so two snapshots diff cleanly.
            Exit codes: 0 the snapshot completed (groups with their own errors are marked in it), \
            3 the cluster could not be observed, 64 bad input.
            """)

    /// Output formats.
    public enum Format: String, ExpressibleByArgument, CaseIterable {
        case json, table
    }

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "Output format: json or table (default: json unless stdout is a terminal).")
    var format: Format?

    @Option(name: .customLong("group"), help: ArgumentHelp("Only groups whose id matches this regular expression (default: the context's group, else all).", valueName: "regex"))
    var group: String?

    @Option(help: ArgumentHelp("Leave out groups whose id matches this regular expression (default: the context's exclude, else none).", valueName: "regex"))
    var exclude: String?

    @Option(name: .customLong("type"), help: ArgumentHelp(GroupFilter.typeHelp, valueName: "type"))
    var types: [String] = []

    @Option(name: .customLong("output"), help: ArgumentHelp("Write to this file instead of stdout.", valueName: "file"))
    var output: String?

    @Option(name: .customLong("from"), help: ArgumentHelp("Read the snapshot from a recording instead of polling a cluster.", valueName: "file"))
    var from: String?

    @Option(help: ArgumentHelp("With --from: which poll (RFC 3339 time, +90s from the start, or #12); default the last.", valueName: "time"))
    var at: String?

    public init() {}

    /// Group and exclude as the snapshot filters with them: the flags, else (when polling a
    /// cluster) the context's; a recording (`--from`) takes only the flags.
    func effective(environment: [String: String]) throws(UserFacingError) -> EffectiveOptions {
        var defaults = CommandDefaults.none
        if from == nil { defaults = try CommandDefaults(connection, environment: environment) }
        return EffectiveOptions(include: defaults.include(group), exclude: defaults.exclude(exclude))
    }

    public func run() async throws {
        do {
            let options = try effective(environment: ProcessInfo.processInfo.environment)
            let filter = try GroupFilter(include: options.include, exclude: options.exclude, types: types)
            if at != nil && from == nil { throw UserFacingError("--at needs --from FILE") }
            if let from, connection.bootstrapServers != nil || !connection.properties.isEmpty || !connection.propertyFiles.isEmpty {
                throw UserFacingError("--from \(from) reads a recording: leave out the connection options (-b, -X, -F)")
            }
            if let output { try InputFile.checkOutput(output, flag: "--output") }
            // The groups shown: filtered once, as soon as they are read.
            let shown: ClusterSnapshot
            // Time lags of lagging partitions, measured from the records at their committed offsets
            // (a recording has no broker to ask: its lags stay lower bounds).
            var records = RecordTimes()
            if let from {
                shown = filter.apply(try RecordingCLI.snapshot(from: from, at: at))
            } else {
                // One poll, straight from the poller: the monitor's derivations (events, history,
                // health, time lag) need earlier polls and would be thrown away here.
                let session = try Session.open(connection, singlePoll: true)
                var polled: ClusterSnapshot
                do {
                    polled = try await session.poller.poll().snapshot
                    polled = filter.apply(polled)
                    records = await RecordTimeProbe.records(for: polled, admin: session.poller.admin)
                } catch {
                    await session.close()
                    throw UserFacingError("could not observe the cluster: \(error)", code: KgtopExit.unobservable)
                }
                await session.close()
                // Labelled as the first poll of a monitor labels them (a group's labels depend on
                // its own members only, so labelling after the filter gives the same labels).
                var labeler = MemberLabeler()
                labeler.label(&polled)
                shown = polled
            }
            let fmt = format ?? (isatty(STDOUT_FILENO) == 1 && output == nil ? .table : .json)
            switch fmt {
            case .json: try writeJSON(shown, records: records)
            case .table: try write(Data(SnapshotTable.render(shown).utf8))
            }
            // Everything is written (stdout and --output take the bytes unbuffered): end the process
            // here rather than free the snapshot value by value on the way out, which at 100,000
            // partitions costs about a tenth of the command's CPU for nothing.
            endProcess(KgtopExit.ok)
        } catch let e as UserFacingError {
            throw report(e)
        }
    }

    /// Streams the JSON (one group at a time, in chunks of a megabyte written straight to the file
    /// descriptor) to stdout, or to a temporary file renamed over `--output` once complete, so a
    /// reader never sees half a snapshot.
    func writeJSON(_ snapshot: ClusterSnapshot, records: RecordTimes) throws {
        let takenAt = snapshot.takenAt
        let timeLags: SnapshotJSON.TimeLagSource = { TimeLagEstimator.singlePollTimeLags(of: $0, at: takenAt, records: records) }
        guard let output else {
            try SnapshotJSON.write(snapshot, timeLags: timeLags) { try writeAll($0, to: STDOUT_FILENO, name: "stdout") }
            try writeAll([0x0A], to: STDOUT_FILENO, name: "stdout")
            return
        }
        let temporary = output + ".partial-\(getpid())"
        guard FileManager.default.createFile(atPath: temporary, contents: nil), let file = FileHandle(forWritingAtPath: temporary) else {
            throw UserFacingError("--output \(output): cannot write: cannot create \(temporary)")
        }
        var open = true
        do {
            let fd = file.fileDescriptor
            try SnapshotJSON.write(snapshot, timeLags: timeLags) { try writeAll($0, to: fd, name: "--output \(output)") }
            try writeAll([0x0A], to: fd, name: "--output \(output)")
            open = false
            try file.close()
            // rename(2) replaces an existing file atomically.
            guard rename(temporary, output) == 0 else {
                throw UserFacingError("--output \(output): cannot write: \(String(cString: strerror(errno)))")
            }
        } catch let e as UserFacingError {
            if open { try? file.close() }
            try? FileManager.default.removeItem(atPath: temporary)
            throw e
        } catch {
            if open { try? file.close() }
            try? FileManager.default.removeItem(atPath: temporary)
            throw UserFacingError("--output \(output): cannot write: \(error.localizedDescription)")
        }
    }

    func write(_ data: Data) throws(UserFacingError) {
        guard let output else {
            FileHandle.standardOutput.write(data)
            return
        }
        do { try data.write(to: URL(fileURLWithPath: output), options: .atomic) } catch {
            throw UserFacingError("--output \(output): cannot write: \(error.localizedDescription)")
        }
    }
}

/// Ends the process with `code` at once (C `exit`: no Swift value is freed; nothing is buffered
/// in Swift, and the C library flushes its own streams).
private func endProcess(_ code: Int32) -> Never {
    exit(code)
}

/// Writes all of `bytes` to `fd` (again after a short write or an interrupted call).
/// - Throws: ``UserFacingError`` naming `name` and the system's reason.
private func writeAll(_ bytes: [UInt8], to fd: Int32, name: String) throws(UserFacingError) {
    try check(bytes.withUnsafeBytes { writeAll($0, to: fd) }, name: name)
}

/// ``writeAll(_:to:name:)`` for bytes read in place (a chunk of the JSON as it is written).
private func writeAll(_ buffer: UnsafeRawBufferPointer, to fd: Int32, name: String) throws(UserFacingError) {
    try check(writeAll(buffer, to: fd), name: name)
}

/// Writes all of `buffer` to `fd`; the `errno` of the write that failed, nil when all were written.
private func writeAll(_ buffer: UnsafeRawBufferPointer, to fd: Int32) -> Int32? {
    var offset = 0
    while offset < buffer.count {
        let n = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
        if n < 0 {
            if errno == EINTR { continue }
            return errno
        }
        offset += n
    }
    return nil
}

/// Throws the error of a failed write (`failure`, an `errno`), naming `name`.
private func check(_ failure: Int32?, name: String) throws(UserFacingError) {
    if let failure { throw UserFacingError("\(name): cannot write: \(String(cString: strerror(failure)))") }
}

/// The human-readable form of a snapshot.
enum SnapshotTable {
    static func render(_ s: ClusterSnapshot) -> String {
        var out = ""
        let brokersUp = s.cluster.brokers.filter(\.reachable).count
        let kip848 = s.cluster.kip848Enabled.map { $0 ? "enabled" : "disabled" } ?? "unknown"
        out += "cluster \(s.cluster.clusterID ?? "?")  brokers \(brokersUp)/\(s.cluster.brokers.count) up  KIP-848 \(kip848)  groups \(s.groups.count)  poll \(s.pollDurationMs) ms\n\n"
        var rows = [["GROUP", "PROTOCOL", "STATE", "MEMBERS", "EPOCH", "TARGET", "ASSIGNOR", "PARTITIONS", "LAG", "BEHIND", "ERROR"]]
        for g in s.groups {
            rows.append([
                g.groupID, g.protocol.rawValue, g.state.description, "\(g.members.count)",
                g.groupEpoch.map(String.init) ?? g.generationID.map { "gen \($0)" } ?? "-",
                g.assignmentEpoch.map(String.init) ?? "-", g.assignor ?? "-", "\(g.partitions.count)",
                g.summary.totalLagText,
                g.summary.membersBehindAssignmentEpoch.isEmpty ? "-" : "\(g.summary.membersBehindAssignmentEpoch.count)",
                g.error.map { $0.name } ?? "",
            ])
        }
        out += table(rows)
        if !s.errors.isEmpty {
            out += "\nerrors:\n"
            for e in s.errors { out += "  \(e.message)\n" }
        }
        return out
    }

    static func table(_ rows: [[String]]) -> String {
        guard let first = rows.first else { return "" }
        var widths = Array(repeating: 0, count: first.count)
        for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) } }
        return rows.map { r in
            r.enumerated().map { i, c in i == r.count - 1 ? c : c.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n") + "\n"
    }
}
