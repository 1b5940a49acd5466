import ArgumentParser

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
}
