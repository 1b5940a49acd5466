import ArgumentParser
import Foundation

/// kgtop's version, printed by `kgtop --version`.
public let kgtopVersion = "0.1.0"

/// The root of kgtop's command tree.
public struct KgtopCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "kgtop",
        abstract: "top for Kafka consumer groups: classic and KIP-848 groups, epochs, assignments, lag.",
        version: kgtopVersion,
        subcommands: [
            WatchCommand.self, DemoCommand.self, SnapshotCommand.self, EventsCommand.self, CheckCommand.self,
            WaitCommand.self, RecordCommand.self, ReplayFileCommand.self, DiffCommand.self, SimCommand.self,
            LoadCommand.self, RehearseCommand.self, ContextsCommand.self, ServeCommand.self,
        ],
        defaultSubcommand: WatchCommand.self
    )

    public init() {}

    /// Runs kgtop with the process's arguments. A first word that names no command (`kgtop
    /// snapshots`, `kgtop help nosuch`) is exit 64 with the closest command and the list, before
    /// ArgumentParser would take it for an argument of the default command.
    public static func main() async {
        if let problem = unknownCommand(Array(CommandLine.arguments.dropFirst()))
            ?? RehearseCommand.negativeStepCount(Array(CommandLine.arguments.dropFirst())) {
            FileHandle.standardError.write(Data("kgtop: \(problem)\n".utf8))
            Foundation.exit(KgtopExit.usage)
        }
        await main(nil)
    }

    /// Every command's help as a person reads it: the command's name (the root is `kgtop`), its
    /// abstract and discussion as written, and its `--help` page rendered `columns` wide.
    static func helpPages(columns: Int = 80) -> [(command: String, abstract: String, discussion: String, page: String)] {
        ([Self.self] + configuration.subcommands).map { c in
            (c._commandName, c.configuration.abstract, c.configuration.discussion, helpMessage(for: c, columns: columns))
        }
    }

    /// The names of kgtop's commands.
    static var commandNames: [String] {
        configuration.subcommands.map { $0._commandName }
    }

    /// Why `arguments` start with a word that names no command, or nil when they do not.
    static func unknownCommand(_ arguments: [String]) -> String? {
        guard var word = arguments.first, !word.hasPrefix("-") else { return nil }
        var prefix = ""
        if word == "help" {
            guard arguments.count > 1, !arguments[1].hasPrefix("-") else { return nil }
            word = arguments[1]
            prefix = "help "
        }
        let names = commandNames
        if names.contains(word) { return nil }
        let list = names.joined(separator: ", ")
        if let close = names.min(by: { editDistance($0, word) < editDistance($1, word) }), editDistance(close, word) <= 2 {
            return "unknown command '\(prefix)\(word)'; did you mean '\(prefix)\(close)'? Commands: \(list)"
        }
        return "unknown command '\(prefix)\(word)'. Commands: \(list) (kgtop --help describes them)"
    }

    /// The Levenshtein distance of two short words.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var row = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var previous = row[0]
            row[0] = i
            for j in stride(from: 1, through: b.count, by: 1) {
                let current = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = current
            }
        }
        return a.isEmpty ? b.count : row[b.count]
    }
}
