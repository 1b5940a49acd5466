import Foundation
import KgtopTestSupport
import Testing

/// `make install` without a release build: scripts/install.sh installs the debug kgtop (the one
/// beside the tests) into a DESTDIR under a temporary folder, and the tests check what a person
/// gets: every file in its place, a man page that `man -l` renders and that documents exactly the
/// subcommands and options `kgtop --help` lists, a bash completion that completes, an uninstall
/// that removes it all, and a systemd unit that `systemd-analyze verify` accepts.
@Suite("make install", .serialized)
struct InstallTests {
    /// The clone's root.
    static let root = Repository.root.path

    /// Every file `make install` puts under PREFIX (the layout README's Install section shows).
    static let layout = [
        "bin/kgtop",
        "share/bash-completion/completions/kgtop",
        "share/zsh/site-functions/_kgtop",
        "share/fish/vendor_completions.d/kgtop.fish",
        "share/man/man1/kgtop.1",
    ]

    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `executable` with `arguments`, `environment` added to this process's.
    static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> Run {
        let r = try ChildProcess.run(
            executable, arguments, environment: ProcessInfo.processInfo.environment.merging(environment) { $1 }, timeout: .seconds(300))
        #expect(!r.timedOut, "\(executable) \(arguments.joined(separator: " ")) ran over 300 s")
        return Run(status: r.status, stdout: r.stdout, stderr: r.stderr)
    }

    /// A fresh temporary folder; the caller removes it.
    static func temporaryFolder() throws -> String {
        let dir = NSTemporaryDirectory() + "kgtop-install-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Installs the debug kgtop with PREFIX=/usr/local into `destdir`; returns DESTDIR/PREFIX.
    static func install(into destdir: String) throws -> String {
        let binary = try #require(ServeProcessTests.kgtopBinary(), "the kgtop executable is not built beside the tests")
        let result = try run(
            "/bin/bash", [root + "/scripts/install.sh", "--bin", binary, "--destdir", destdir, "--prefix", "/usr/local"])
        #expect(result.status == 0, "scripts/install.sh failed: \(result.stderr)")
        return destdir + "/usr/local"
    }

    /// The subcommands `kgtop --help` lists under SUBCOMMANDS (its first word on each entry line).
    static func helpSubcommands(_ help: String) -> [String] {
        var inSection = false
        var names: [String] = []
        for line in help.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("SUBCOMMANDS:") {
                inSection = true
                continue
            }
            guard inSection else { continue }
            if !line.isEmpty, !line.hasPrefix(" ") { break }
            // Entries are indented two spaces; wrapped abstracts much further.
            if line.hasPrefix("  "), !line.hasPrefix("   "), let word = line.split(separator: " ").first {
                names.append(String(word))
            }
        }
        return names.filter { $0 != "See" }
    }

    /// The long options a `kgtop SUB --help` lists (entry lines are indented two spaces, wrapped
    /// help text further), without --help and --version.
    static func helpOptions(_ help: String) -> Set<String> {
        var options = Set<String>()
        for line in help.split(separator: "\n") where line.hasPrefix("  -") {
            for word in line.split(separator: " ").prefix(while: { $0.hasPrefix("-") || $0.hasPrefix("<") }) {
                for name in word.split(separator: "/") where name.hasPrefix("--") {
                    options.insert(String(name.prefix(while: { $0 != "," && $0 != "=" })))
                }
            }
        }
        return options.subtracting(["--help", "--version"])
    }

    @Test("install.sh --bin --destdir puts every file in the layout; uninstall removes every one")
    func layoutAndUninstall() throws {
        let destdir = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: destdir) }
        let prefix = try Self.install(into: destdir)
        for file in Self.layout {
            let path = prefix + "/" + file
            let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int
            #expect((size ?? 0) > 0, "\(file) is missing or empty")
        }
        #expect(FileManager.default.isExecutableFile(atPath: prefix + "/bin/kgtop"))
        let version = try Self.run(prefix + "/bin/kgtop", ["--version"])
        #expect(version.status == 0 && !version.stdout.isEmpty, "the installed kgtop does not run: \(version.stderr)")
        // The completions are the binary's own, for the right shell.
        let zsh = try String(contentsOfFile: prefix + "/share/zsh/site-functions/_kgtop", encoding: .utf8)
        #expect(zsh.hasPrefix("#compdef kgtop"), "\(zsh.prefix(80))")
        let fish = try String(contentsOfFile: prefix + "/share/fish/vendor_completions.d/kgtop.fish", encoding: .utf8)
        #expect(fish.contains("complete -c 'kgtop'"), "\(fish.prefix(200))")
        // Nothing but the layout was installed.
        let everything = (FileManager.default.enumerator(atPath: destdir)?.allObjects as? [String] ?? []).filter {
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: destdir + "/" + $0, isDirectory: &isDirectory) && !isDirectory.boolValue
        }
        #expect(Set(everything) == Set(Self.layout.map { "usr/local/" + $0 }), "\(everything.sorted())")

        let uninstall = try Self.run(
            "/bin/bash", [Self.root + "/scripts/install.sh", "--uninstall", "--destdir", destdir, "--prefix", "/usr/local"])
        #expect(uninstall.status == 0, "\(uninstall.stderr)")
        for file in Self.layout {
            #expect(!FileManager.default.fileExists(atPath: prefix + "/" + file), "uninstall left \(file)")
        }
        #expect(uninstall.stdout.components(separatedBy: "install: removed ").count - 1 == Self.layout.count, "\(uninstall.stdout)")
    }

    @Test("the man page renders with man -l and documents exactly the subcommands and options kgtop --help lists")
    func manPage() throws {
        let destdir = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: destdir) }
        let prefix = try Self.install(into: destdir)
        let page = prefix + "/share/man/man1/kgtop.1"
        let man = try #require(
            ["/usr/bin/man", "/bin/man"].first { FileManager.default.isExecutableFile(atPath: $0) },
            "man is not installed (scripts/bootstrap.sh installs man-db)")
        let rendered = try Self.run(man, ["--warnings", "-l", page], environment: ["MANWIDTH": "100", "MANPAGER": "cat", "PAGER": "cat"])
        #expect(rendered.status == 0, "\(rendered.stderr)")
        #expect(rendered.stderr.isEmpty, "man reported problems in the page: \(rendered.stderr)")
        for heading in ["NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "VERSION"] {
            let hasHeading = rendered.stdout.contains("\n" + heading + "\n")
            #expect(hasHeading, "the rendered page has no \(heading) section")
        }

        // The page's subcommands (one .SS "kgtop NAME" each) are exactly those of kgtop --help.
        let source = try String(contentsOfFile: page, encoding: .utf8).replacingOccurrences(of: "\\-", with: "-")
        let sections = source.components(separatedBy: "\n.SS \"kgtop ").dropFirst()
        let documented = sections.map { String($0.prefix(while: { $0 != "\"" })) }
        let binary = prefix + "/bin/kgtop"
        let help = try Self.run(binary, ["--help"])
        #expect(help.status == 0)
        let listed = Self.helpSubcommands(help.stdout)
        #expect(listed.contains("serve") && listed.contains("contexts") && listed.count >= 14, "\(listed)")
        #expect(documented == listed, "man page: \(documented); kgtop --help: \(listed)")
        for name in documented {
            let shown = rendered.stdout.contains("kgtop \(name)")
            #expect(shown, "the rendered page does not show kgtop \(name)")
        }

        // Every option each subcommand's --help lists is in that subcommand's section of the page.
        var checked = 0
        for (name, section) in zip(documented, sections) {
            let subHelp = try Self.run(binary, [name, "--help"])
            #expect(subHelp.status == 0, "kgtop \(name) --help: \(subHelp.stderr)")
            for option in Self.helpOptions(subHelp.stdout) {
                checked += 1
                let documentsIt = section.contains("\\fB" + option + "\\fR")
                #expect(documentsIt, "the page's kgtop \(name) section does not document \(option)")
            }
        }
        #expect(checked > 50, "only \(checked) options found in the subcommands' help")
    }

    @Test("bash sources the installed completion and completes subcommands and their options")
    func bashCompletion() throws {
        let destdir = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: destdir) }
        let prefix = try Self.install(into: destdir)
        let script = prefix + "/share/bash-completion/completions/kgtop"
        func complete(_ words: [String]) throws -> Run {
            let line = words.joined(separator: " ")
            let program = """
                set -e
                source "$1"
                complete -p kgtop
                COMP_WORDS=(\(words.joined(separator: " "))); COMP_CWORD=\(words.count - 1)
                COMP_LINE='\(line)'; COMP_POINT=\(line.utf8.count)
                _kgtop kgtop '\(words.last ?? "")' '\(words.dropLast().last ?? "")'
                printf '%s\\n' "${COMPREPLY[@]}"
                """
            return try Self.run("/bin/bash", ["--norc", "--noprofile", "-c", program, "bash", script])
        }
        let subcommand = try complete(["kgtop", "se"])
        #expect(subcommand.status == 0, "\(subcommand.stderr)")
        #expect(subcommand.stdout.contains("-F _kgtop kgtop"), "bash did not register the completion: \(subcommand.stdout)")
        #expect(subcommand.stdout.split(separator: "\n").contains("serve"), "\(subcommand.stdout)")
        let option = try complete(["kgtop", "serve", "--part"])
        #expect(option.status == 0, "\(option.stderr)")
        #expect(option.stdout.split(separator: "\n").contains("--partition-metrics"), "\(option.stdout)")
    }

    @Test("install.sh: a bad argument is a message and exit 64, and installs nothing")
    func badArguments() throws {
        let destdir = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: destdir) }
        let script = Self.root + "/scripts/install.sh"
        let cases: [([String], String)] = [
            (["--prefx", "/usr"], "unknown argument '--prefx'"),
            (["--prefix", "usr/local", "--destdir", destdir], "--prefix must be an absolute path, not 'usr/local'"),
            (["--bin", destdir + "/no-such-kgtop", "--destdir", destdir], "--bin: '\(destdir)/no-such-kgtop' is not an executable file"),
            (["--destdir"], "--destdir needs a value"),
        ]
        for (arguments, message) in cases {
            let result = try Self.run("/bin/bash", [script] + arguments)
            #expect(result.status == 64, "\(arguments): exit \(result.status)")
            #expect(result.stderr.contains("install: " + message), "\(arguments): \(result.stderr)")
        }
        let written = try FileManager.default.contentsOfDirectory(atPath: destdir)
        #expect(written.isEmpty, "a refused install wrote files: \(written)")
    }

    @Test("deploy/systemd/kgtop-serve.service passes systemd-analyze verify (binary and man page as installed)")
    func systemdUnit() throws {
        let unit = try String(contentsOfFile: Self.root + "/deploy/systemd/kgtop-serve.service", encoding: .utf8)
        for line in [
            "ExecStart=/usr/local/bin/kgtop serve", "DynamicUser=yes", "ProtectSystem=strict", "Restart=on-failure",
            "Environment=KGTOP_CONFIG=/etc/kgtop/config.yaml", "LoadCredential=kafka-password:/etc/kgtop/kafka-password",
            "EnvironmentFile=-/etc/kgtop/serve.env",
        ] {
            #expect(unit.contains("\n" + line), "the unit has no \(line)")
        }
        // README shows the same unit.
        let readme = try String(contentsOfFile: Self.root + "/README.md", encoding: .utf8)
        let body = unit.components(separatedBy: "\n").drop(while: { $0.hasPrefix("#") || $0.isEmpty }).joined(separator: "\n")
        let readmeShowsUnit = readme.contains(body)
        #expect(readmeShowsUnit, "README's Install section does not show deploy/systemd/kgtop-serve.service as it is")

        guard let analyze = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            if ProcessInfo.processInfo.environment["CI"] == "true" {
                Issue.record("systemd-analyze is not installed, and CI has it (scripts/bootstrap.sh installs systemd)")
            } else {
                print("systemd-analyze verify skipped: systemd-analyze is not installed (apt-get install systemd)")
            }
            return
        }
        let destdir = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: destdir) }
        let prefix = try Self.install(into: destdir)
        // verify checks that ExecStart's binary exists and that Documentation= names a man page
        // it can find: point both at the DESTDIR install.
        let copy = destdir + "/kgtop-serve.service"
        try unit.replacingOccurrences(of: "/usr/local/bin/kgtop", with: prefix + "/bin/kgtop")
            .write(toFile: copy, atomically: true, encoding: .utf8)
        let verified = try Self.run(analyze, ["verify", copy], environment: ["MANPATH": prefix + "/share/man"])
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
        // Unknown or misspelt keys are only warnings to verify: the unit must draw none.
        let complaints = (verified.stdout + verified.stderr).split(separator: "\n").filter { $0.contains("kgtop-serve.service") }
        #expect(complaints.isEmpty, "systemd-analyze verify: \(complaints.joined(separator: "\n"))")
    }
}
