// swift-tools-version:6.1
import PackageDescription

// A separate package so that the libFuzzer entry point (which has no `main`) never enters the
// product builds. Built and run by `make fuzz` (scripts/fuzz.sh).
let package = Package(
    name: "KafkaFuzz",
    dependencies: [.package(name: "kgtop", path: "..")],
    targets: [
        .executableTarget(
            name: "KafkaFuzz",
            dependencies: [
                .product(name: "KafkaWire", package: "kgtop"),
                .product(name: "KafkaProtocol", package: "kgtop"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6), .unsafeFlags(["-parse-as-library"])]
        )
    ]
)
