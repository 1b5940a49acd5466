// swift-tools-version:6.1
import PackageDescription

/// Settings every target shares: Swift 6 language mode with complete strict concurrency.
let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "kgtop",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "kgtop", targets: ["kgtop"]),
        .executable(name: "ProtocolGen", targets: ["ProtocolGen"]),
        .library(name: "KafkaWire", targets: ["KafkaWire"]),
        .library(name: "KafkaProtocol", targets: ["KafkaProtocol"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // MARK: - Wire and protocol
        .target(name: "KafkaWire", swiftSettings: strict),
        .target(name: "SeededRandom", swiftSettings: strict),
        .target(name: "KafkaProtocol", dependencies: ["KafkaWire"], swiftSettings: strict),
        // KafkaWireNIO: KafkaWire's framing as an NIO decoder, shared by the client and the simulated
        // brokers (KafkaWire itself stays free of NIO).
        .target(
            name: "KafkaWireNIO", dependencies: ["KafkaWire", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strict),
        .target(
            name: "KafkaAdmin",
            dependencies: [
                "KafkaWire", "KafkaWireNIO", "KafkaProtocol", "GroupModel",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
            ],
            swiftSettings: strict),
        .executableTarget(
            name: "ProtocolGen",
            dependencies: [.product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strict),

        // MARK: - Model
        .target(name: "GroupModel", swiftSettings: strict),
        // Recording: the kgtop.recording/1 file format (writer, reader, comparison); GroupModel only,
        // plus KafkaWire for its CRC-32C.
        .target(name: "Recording", dependencies: ["GroupModel", "KafkaWire"], swiftSettings: strict),

        // MARK: - Monitor
        .target(
            name: "Monitor",
            dependencies: ["GroupModel", "KafkaAdmin", "KafkaProtocol", "KafkaWire", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict),

        // MARK: - Terminal UI
        // CNcurses: system library (ncursesw); only NcursesTerminal imports it.
        .systemLibrary(name: "CNcurses", providers: [.apt(["libncurses-dev"])]),
        // DashboardUI: curses-free views, key map, themes (themes/*.json are embedded, see docs/TUI.md).
        .target(name: "DashboardUI", dependencies: ["GroupModel"], swiftSettings: strict),
        .target(name: "NcursesTerminal", dependencies: ["CNcurses", "DashboardUI"], swiftSettings: strict),
        // Replay: a recording on the dashboard (time cursor, re-derived episodes and verdicts).
        .target(name: "Replay", dependencies: ["Recording", "DashboardUI", "GroupModel"], swiftSettings: strict),
        .executableTarget(name: "RecordingBench", dependencies: ["Recording", "GroupModel", "SeededRandom"], swiftSettings: strict),

        // MARK: - Simulator
        .target(
            name: "KafkaSim",
            dependencies: [
                "KafkaWire", "KafkaWireNIO", "KafkaProtocol", "GroupModel", "SeededRandom",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strict),

        // MARK: - Real clients
        // CRdKafka: system library (librdkafka); only Workload imports it.
        .systemLibrary(name: "CRdKafka", providers: [.apt(["librdkafka-dev"])]),
        .target(
            name: "Workload",
            dependencies: ["CRdKafka", "KafkaAdmin", "KafkaProtocol", "GroupModel"],
            swiftSettings: strict),
        // Rehearsal: `kgtop rehearse` below the CLI: the plan, the orchestration of Workload's
        // consumers while a Monitor polls the group, and the analysis of what they did.
        .target(
            name: "Rehearsal",
            dependencies: ["Workload", "KafkaAdmin", "GroupModel", "Monitor"],
            swiftSettings: strict),

        // MARK: - Fleet mode
        // KgtopConfig: the config file of named cluster contexts (YAML via Yams), secret references
        // (which keys are secret: KafkaAdmin's SecretProperties).
        .target(name: "KgtopConfig", dependencies: ["KafkaAdmin", .product(name: "Yams", package: "Yams")], swiftSettings: strict),
        // KgtopServe: `kgtop serve` below the CLI: Prometheus / OpenMetrics text, the fleet exporter
        // (one monitor per context), a small HTTP/1.1 server on NIOHTTP1.
        .target(
            name: "KgtopServe",
            dependencies: [
                "GroupModel", "Monitor",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: strict),

        // MARK: - CLI
        .target(
            name: "KgtopCLI",
            dependencies: [
                "KafkaWire", "KafkaAdmin", "GroupModel", "Monitor", "KafkaSim", "DashboardUI", "NcursesTerminal", "Workload",
                "Rehearsal", "Recording", "Replay", "KgtopConfig", "KgtopServe",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict),
        // MallocTuning: process-wide allocator settings the polling executables apply first thing.
        .target(name: "MallocTuning", swiftSettings: strict),
        .executableTarget(name: "kgtop", dependencies: ["KgtopCLI", "MallocTuning"], swiftSettings: strict),

        // MARK: - Benchmarks
        // KgtopBench: measures poll, monitor, feed and dashboard costs against a running cluster
        // (scripts/bench.sh, `make bench`). Prints numbers; never part of `make test`.
        .executableTarget(
            name: "KgtopBench", dependencies: ["Monitor", "MallocTuning", "KafkaAdmin", "GroupModel", "DashboardUI", "SeededRandom"],
            swiftSettings: strict),

        // MARK: - Tests
        // KgtopTestSupport: what several test targets share (child processes, the repository root,
        // wire captures); only test targets depend on it.
        .target(name: "KgtopTestSupport", swiftSettings: strict),
        .testTarget(
            name: "KafkaProtocolTests", dependencies: ["KgtopTestSupport", "KafkaWire", "KafkaProtocol", "SeededRandom"],
            swiftSettings: strict),
        .testTarget(name: "KafkaWireTests", dependencies: ["KafkaWire", "SeededRandom"], swiftSettings: strict),
        .testTarget(name: "GroupModelTests", dependencies: ["GroupModel", "SeededRandom"], swiftSettings: strict),
        .testTarget(
            name: "KafkaAdminTests",
            dependencies: ["KgtopTestSupport",
                "KafkaAdmin", "KafkaWire", "KafkaWireNIO", "KafkaProtocol", "GroupModel", "SeededRandom",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "KafkaSimTests",
            dependencies: [
                "KafkaSim", "KafkaWire", "KafkaWireNIO", "KafkaProtocol", "GroupModel",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "SecurityTests",
            dependencies: ["KgtopTestSupport",
                "SeededRandom", "KafkaAdmin", "KafkaSim", "Monitor", "GroupModel", "KafkaWire", "KafkaProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "PollerTests",
            dependencies: ["KgtopTestSupport", "Monitor", "KafkaSim", "KafkaAdmin", "KafkaProtocol", "KafkaWire", "GroupModel", "KgtopCLI", "Workload"],
            swiftSettings: strict),
        .testTarget(
            name: "ScenarioTests",
            dependencies: ["KgtopCLI", "Monitor", "KafkaSim", "GroupModel", "KafkaAdmin", "DashboardUI"],
            swiftSettings: strict),
        .testTarget(
            name: "DashboardUITests", dependencies: ["DashboardUI", "GroupModel"],
            exclude: ["Golden"], swiftSettings: strict),
        .testTarget(name: "WorkloadTests", dependencies: ["KgtopTestSupport", "Workload", "Rehearsal", "GroupModel", "KafkaSim"], swiftSettings: strict),
        .testTarget(
            name: "FleetTests",
            dependencies: ["KgtopTestSupport", "KgtopConfig", "KgtopServe", "KgtopCLI", "Monitor", "KafkaSim", "GroupModel", "KafkaAdmin"],
            swiftSettings: strict),
        .testTarget(
            name: "RecordingTests",
            dependencies: ["Recording", "Replay", "DashboardUI", "GroupModel", "KgtopCLI", "Monitor", "KafkaSim", "KafkaAdmin"],
            swiftSettings: strict),
    ]
)
