import Foundation
import Testing

/// Every flag that takes a duration, size, count, pattern or path, fed its edge cases (huge,
/// negative, zero, empty, wrong type, a directory, a FIFO, a device) through the built binary:
/// exit 64, a message naming the flag, never a crash or a backtrace. Nothing here reaches a
/// cluster: validation comes first (the connection options name a closed loopback port).
@Suite("kgtop refuses edge-case input with exit 64")
struct InputEdgeCaseTests {
    /// A loopback port nothing listens on.
    static let closed = "127.0.0.1:1"

    struct Case: Sendable, CustomStringConvertible {
        var arguments: [String]
        /// What stderr must mention (the flag, or the reason).
        var mentions: [String]
        var description: String { arguments.map { $0.isEmpty ? "''" : $0 }.joined(separator: " ") }
    }

    /// Files for the path cases: a directory, a FIFO, and a regular file.
    struct Paths {
        var directory: String
        var fifo: String
        var regular: String

        static func make() throws -> Paths {
            let dir = try CLITests.temporaryDirectory()
            let fifo = dir + "/fifo"
            #expect(mkfifo(fifo, 0o600) == 0)
            let regular = dir + "/regular.txt"
            try "not a recording\n".write(toFile: regular, atomically: true, encoding: .utf8)
            let sub = dir + "/subdir"
            try FileManager.default.createDirectory(atPath: sub, withIntermediateDirectories: true)
            return Paths(directory: sub, fifo: fifo, regular: regular)
        }
    }

    /// The command line each flag needs around it to get as far as validating that flag.
    static func commands(_ p: Paths) -> [String: [String]] {
        [
            "watch": ["watch", "-b", closed, "--headless", "--max-iterations", "1"],
            "demo": ["demo", "--headless", "--max-iterations", "1"],
            "events": ["events", "-b", closed, "--max-polls", "1"],
            "check": ["check", "-b", closed, "--max-lag", "1"],
            "wait": ["wait", "-b", closed, "--group", "^x$", "--timeout", "1s"],
            "record": ["record", "-b", closed, "-o", p.directory + "/never.kgrec", "--duration", "1s"],
            "load": ["load", "-b", closed, "--topic", "t", "--rate", "1/s", "--duration", "1s"],
            "rehearse": ["rehearse", "-b", closed, "--members", "1"],
            "snapshot": ["snapshot", "-b", closed],
            "sim": ["sim"],
            "replay": ["replay", p.regular, "--headless"],
        ]
    }

    static func cases(_ p: Paths) -> [Case] {
        let base = commands(p)
        var out: [Case] = []
        func add(_ command: String, _ flag: String, _ values: [String], mentions: [String]? = nil) {
            for v in values {
                let args = (base[command] ?? [command]).filter { _ in true }
                // A flag the base line already has is replaced, not repeated.
                var line = args
                if let i = line.firstIndex(of: flag), i + 1 < line.count { line.removeSubrange(i...(i + 1)) }
                out.append(Case(arguments: line + [flag, v], mentions: mentions ?? [flag]))
            }
        }

        // Durations: huge, negative, empty, wrong type, a unit that is not one; zero where it is no duration at all.
        let bad = ["99999999999999h", "-5s", "", "soon", "5x", "1h30", "366d"]
        for (command, flag, zeroIsBad) in [
            ("watch", "--interval", true), ("demo", "--interval", true), ("events", "--interval", true), ("events", "--duration", true),
            ("check", "--max-time-lag", false), ("check", "--warn-time-lag", false), ("check", "--sample-interval", false),
            ("wait", "--stable-for", false), ("wait", "--timeout", true), ("wait", "--interval", true),
            ("record", "--interval", true), ("record", "--duration", true), ("load", "--duration", true),
            ("rehearse", "--settle-timeout", true), ("rehearse", "--step-timeout", true), ("rehearse", "--poll-interval", true),
            ("rehearse", "--cooldown", false),
        ] {
            add(command, flag, bad + (zeroIsBad ? ["0"] : []))
        }
        // Negative durations are read as values, not taken for a flag.
        out.append(Case(arguments: base["wait"]! + ["--interval", "-1s"], mentions: ["--interval", "must be positive"]))
        // Time specs: the same grammar and bounds after + in --at and FILE@.
        out.append(Case(arguments: ["snapshot", "--from", p.regular, "--at", "+99999999999999h"], mentions: ["--at", "too long"]))
        out.append(Case(arguments: ["snapshot", "--from", p.regular, "--at", "+-5s"], mentions: ["--at", "must be positive"]))
        out.append(Case(arguments: ["replay", p.regular, "--at", "+99999999999999h"], mentions: ["--at", "too long"]))
        out.append(Case(arguments: ["diff", p.regular + "@+99999999999999h", p.regular], mentions: ["too long"]))
        out.append(Case(arguments: ["diff", p.regular + "@#99999999999999999999999", p.regular], mentions: ["poll index"]))

        // Sizes.
        for command in ["watch", "replay"] {
            add(command, "--size", ["100000x100000", "0x0", "-1x-1", "abc", "", "120x", "x40", "120x40x3", "99999999999999999999x40"])
        }

        // Counts: negative, zero where meaningless, huge, wrong type, empty.
        let notANumber = ["abc", "", "1.5", "99999999999999999999"]
        add("events", "--max-polls", ["0", "-1"] + notANumber)
        add("check", "--samples", ["0", "-1", "1", "1000001"] + notANumber)
        add("check", "--max-lag", ["-1"] + notANumber)
        add("check", "--warn-lag", ["-1"] + notANumber)
        add("check", "--min-members", ["-1"] + notANumber)
        add("wait", "--max-lag", ["-1"] + notANumber)
        add("watch", "--max-iterations", ["0", "-1"] + notANumber)
        add("replay", "--max-iterations", ["0", "-1"] + notANumber)
        add("replay", "--speed", ["0", "-1", "3"] + notANumber)
        add("demo", "--brokers", ["0", "-1", "99"] + notANumber)
        add("sim", "--brokers", ["0", "-1", "99"] + notANumber)
        add("sim", "--port", ["-1", "70000"] + notANumber)
        add("sim", "--groups", ["-1", "99999999999"] + notANumber)
        add("sim", "--partitions", ["0", "-1", "99999999"] + notANumber)
        add("sim", "--members", ["-1", "99999"] + notANumber)
        add("sim", "--produce-rate", ["-1", "inf", "nan", "1e300", "abc", ""], mentions: ["--produce-rate"])
        add("sim", "--initial-rebalance-delay-ms", ["-1"] + notANumber)
        add("load", "--size", ["-1", "99999999999"] + notANumber)
        add("load", "--keys", ["-1", "99999999999"] + notANumber)
        add("load", "--rate", ["0", "-5", "abc", "", "5/y", "inf", "1e308/s", "99999999k"])
        add("rehearse", "--members", ["0", "-1", "99999"] + notANumber)
        add("rehearse", "--partitions", ["0", "-1"] + notANumber)
        add("rehearse", "--size", ["-1"] + notANumber)
        add("rehearse", "--sim-session-timeout-ms", ["0", "-1"] + notANumber)

        // Patterns: invalid and empty, on every command that takes one.
        for (command, flag) in [
            ("snapshot", "--group"), ("snapshot", "--exclude"), ("events", "--group"), ("events", "--exclude"),
            ("check", "--group"), ("wait", "--group"),
        ] {
            add(command, flag, ["(bad[", "", "*"])
        }

        // Paths: a directory, a FIFO (a read would block for ever), a device, empty, absent.
        let paths = [p.directory, p.fifo, "/dev/null", ""]
        add("snapshot", "-F", paths + [p.directory + "/absent.properties"])
        add("check", "--rules", paths + [p.directory + "/absent.json"])
        for (name, body, reason) in [
            ("empty.json", "[]", "holds no rule"), ("negative.json", #"[{"max-lag": -1}]"#, "max-lag must not be negative"),
            ("huge.json", #"[{"max-time-lag": 1e300}]"#, "max-time-lag"), ("long.json", #"[{"max-time-lag": "99999999999999h"}]"#, "too long"),
            ("regex.json", #"[{"group": "(bad[", "max-lag": 1}]"#, "(bad["),
        ] {
            let file = p.directory + "/" + name
            #expect(FileManager.default.createFile(atPath: file, contents: Data(body.utf8)))
            out.append(Case(arguments: ["check", "-b", closed, "--rules", file], mentions: ["--rules", reason]))
        }
        for v in paths {
            out.append(Case(arguments: ["snapshot", "--from", v], mentions: ["--from"]))
            out.append(Case(arguments: ["events", "--from", v], mentions: ["--from"]))
            out.append(Case(arguments: ["replay", v, "--headless"], mentions: v.isEmpty ? ["replay"] : [v]))
            out.append(Case(arguments: ["diff", v, p.regular], mentions: v.isEmpty ? ["diff"] : [v]))
            out.append(Case(arguments: ["sim", "--scenario-file", v], mentions: ["--scenario-file"]))
        }
        for v in [p.directory, p.fifo, "/dev/null", ""] {
            out.append(Case(arguments: ["record", "-b", closed, "-o", v, "--duration", "1s"], mentions: ["--output"]))
            out.append(Case(arguments: ["snapshot", "-b", closed, "--output", v], mentions: ["--output"]))
            out.append(Case(arguments: base["watch"]! + ["--record", v], mentions: ["--record"]))
        }
        add("watch", "--theme", [p.directory, p.fifo])

        // Conflicting or impossible combinations.
        out += [
            Case(arguments: ["snapshot", "-b", closed, "--from", p.regular], mentions: ["--from", "-b"]),
            Case(arguments: ["sim", "--groups", "5", "--scenario", "demo"], mentions: ["--groups", "--scenario"]),
            Case(arguments: ["sim", "--scenario", "empty", "--scenario-file", p.regular], mentions: ["--scenario-file"]),
            Case(arguments: ["sim", "--partitions", "4"], mentions: ["--partitions"]),
            Case(arguments: ["sim", "--port", "65535", "--brokers", "3"], mentions: ["--port", "65535"]),
            Case(arguments: ["events", "--from", p.regular, "--max-polls", "1"], mentions: ["--from", "--max-polls"]),
            Case(arguments: ["events", "--from", p.regular, "-b", closed], mentions: ["--from", "-b"]),
            Case(arguments: ["wait", "-b", closed, "--group", "^x$", "--stable-for", "60s", "--timeout", "45s"], mentions: ["--stable-for", "--timeout"]),
            Case(arguments: ["wait", "-b", closed, "--group", "^x$", "--stable-for", "45s", "--timeout", "45s"], mentions: ["--stable-for"]),
            Case(arguments: ["check", "-b", closed], mentions: ["no rule"]),
            Case(arguments: ["check", "-b", closed, "--group", "^x$"], mentions: ["no rule"]),
            Case(arguments: ["snapshot", "-b", closed, "--at", "#1"], mentions: ["--at", "--from"]),
            // A negative step count is not taken for an option.
            Case(arguments: base["rehearse"]! + ["--step", "kill", "-1"], mentions: ["--step kill -1", "positive"]),
            Case(arguments: base["rehearse"]! + ["--step", "roll", "scale-out", "-2"], mentions: ["--step scale-out -2", "positive"]),
            Case(arguments: base["rehearse"]! + ["--step", "kill", "0"], mentions: ["--step kill", "positive"]),
            Case(arguments: base["rehearse"]! + ["--step", "kill"], mentions: ["--step kill", "positive"]),
            Case(arguments: base["rehearse"]! + ["--step", "explode", "1"], mentions: ["--step explode", "not one of"]),
            // Words that name no command: the closest one and the list.
            Case(arguments: ["snapshots"], mentions: ["unknown command 'snapshots'", "did you mean 'snapshot'", "rehearse"]),
            Case(arguments: ["help", "nosuch"], mentions: ["unknown command 'help nosuch'", "Commands:"]),
            Case(arguments: ["chek", "-b", closed], mentions: ["did you mean 'check'"]),
        ]
        return out
    }

    @Test("Every duration, size, count, pattern and path flag: edge cases are exit 64 naming the flag, no backtrace")
    func edgeCases() async throws {
        let paths = try Paths.make()
        let cases = Self.cases(paths)
        #expect(cases.count > 300)
        for c in cases {
            let r = try await CLITests.kgtop(c.arguments, timeout: .seconds(20))
            #expect(r.status == 64, "kgtop \(c): exit \(r.status), output: \(r.output)")
            for m in c.mentions {
                #expect(r.stderr.contains(m), "kgtop \(c): stderr lacks '\(m)': \(r.stderr)")
            }
            CLITests.expectNoStackTrace(r, "kgtop \(c)")
            #expect(!r.stderr.contains("Missing value"), "kgtop \(c): \(r.stderr)")
        }
        // The FIFO is still there and was never opened for reading (nothing blocked).
        var info = stat()
        #expect(stat(paths.fifo, &info) == 0)
    }
}
