import ArgumentParser
import Foundation
import KgtopConfig
import Testing

@testable import KgtopCLI

/// The config file of named contexts: shape, errors naming file / line / key, secret references,
/// and how `--context` merges into the connection properties.
@Suite("Contexts")
struct ContextConfigTests {
    static let example = """
        current-context: prod
        contexts:
          prod:
            bootstrap: broker1:9092,broker2:9092
            properties:                      # librdkafka property names, as -X takes them
              security.protocol: SASL_SSL
              sasl.mechanism: SCRAM-SHA-512
              sasl.username: monitor
              sasl.password: env:KAFKA_PASSWORD   # or file:/run/secrets/kafka
            interval: 5s
            group: '^payments-'
            exclude: '^_'
            theme: light
          local:
            bootstrap: 127.0.0.1:9092
        """

    /// A temporary directory removed at the end of the test.
    static func withDirectory<T>(_ body: (String) throws -> T) rethrows -> T {
        let dir = NSTemporaryDirectory() + "kgtop-contexts-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        return try body(dir)
    }

    static func parseError(_ text: String) -> ConfigError? {
        do {
            _ = try ContextConfig.parse(text, path: "/cfg/config.yaml")
            return nil
        } catch {
            return error
        }
    }

    @Test("the issue's example parses: contexts in file order, current, properties, defaults")
    func parsesExample() throws {
        let config = try ContextConfig.parse(Self.example, path: "config.yaml")
        #expect(config.currentContext == "prod")
        #expect(config.contexts.map(\.name) == ["prod", "local"])
        let prod = try #require(config.context(named: "prod"))
        #expect(prod.bootstrap == "broker1:9092,broker2:9092")
        #expect(prod.properties.map(\.key) == ["security.protocol", "sasl.mechanism", "sasl.username", "sasl.password"])
        #expect(prod.properties.last?.value == .environment("KAFKA_PASSWORD"))
        #expect(prod.properties.last?.line == 9)
        #expect(prod.defaults == ContextDefaults(interval: "5s", intervalLine: 10, include: "^payments-", exclude: "^_", theme: "light"))
        #expect(config.context(named: "local")?.bootstrap == "127.0.0.1:9092")
        #expect(config.context(named: "local")?.line == 14)
    }

    @Test("a bad file is named with its line and key", arguments: [
        ("contexts:\n  prod:\n    bootstrap: a:1\n    bootstrp: b:2\n", 4, "contexts.prod.bootstrp", "unknown key"),
        ("contexts:\n  prod:\n    properties:\n      sasl.password: hunter2\n", 4, "contexts.prod.properties.sasl.password", "by reference"),
        ("contexts:\n  prod:\n    properties:\n      ssl.key.password: s3cret\n", 4, "contexts.prod.properties.ssl.key.password", "by reference"),
        ("current-context: nope\ncontexts:\n  prod:\n    bootstrap: a:1\n", 1, "current-context", "defined: prod"),
        ("contexts:\n  prod:\n    group: '(['\n", 3, "contexts.prod.group", "regular expression"),
        ("contexts:\n  prod:\n    exclude: ''\n", 3, "contexts.prod.exclude", "empty"),
        ("contexts:\n  prod:\n    properties:\n      sasl.password: 'env:'\n", 4, "contexts.prod.properties.sasl.password", "variable name"),
        ("contexts:\n  prod:\n    bootstrap: [a, b]\n", 3, "contexts.prod.bootstrap", "single value"),
        ("contexts: [prod]\n", 1, "contexts", "map"),
        ("cluster: x\n", 1, "cluster", "unknown key"),
    ])
    func badFile(text: String, line: Int, key: String, words: String) throws {
        let error = try #require(Self.parseError(text))
        #expect(error.file == "/cfg/config.yaml")
        #expect(error.line == line, "\(error)")
        #expect(error.key == key, "\(error)")
        #expect(error.description.contains(words), "\(error)")
        #expect(error.description.hasPrefix("/cfg/config.yaml:\(line): \(key): "))
        #expect(!error.description.contains("hunter2") && !error.description.contains("s3cret"))
    }

    @Test("YAML syntax errors and duplicate keys name the line")
    func syntaxErrors() throws {
        let syntax = try #require(Self.parseError("contexts:\n  prod:\n    bootstrap: \"a:1\n"))
        #expect(syntax.line != nil && syntax.description.contains("not valid YAML"), "\(syntax)")
        let duplicate = try #require(Self.parseError("contexts:\n  prod:\n    bootstrap: a:1\n  prod:\n    bootstrap: b:1\n"))
        #expect(duplicate.description.contains("duplicate key prod"), "\(duplicate)")
        #expect(duplicate.line != nil)
    }

    @Test("the OAuth token command and token file may be written literally")
    func tokenReferences() throws {
        let config = try ContextConfig.parse("""
            contexts:
              oauth:
                properties:
                  sasl.oauthbearer.token.command: /usr/local/bin/get-token
            """, path: "c.yaml")
        #expect(config.contexts.first?.properties.first?.value == .literal("/usr/local/bin/get-token"))
        // Listed redacted all the same: the command line might carry a credential.
        #expect(ContextsCommand.shown(try #require(config.contexts.first?.properties.first)) == "[redacted]")
    }

    @Test("where the file is: KGTOP_CONFIG, then XDG_CONFIG_HOME, then ~/.config")
    func defaultPath() {
        #expect(ContextConfig.defaultPath(environment: ["KGTOP_CONFIG": "/a.yaml", "XDG_CONFIG_HOME": "/x", "HOME": "/h"]) == "/a.yaml")
        #expect(ContextConfig.defaultPath(environment: ["XDG_CONFIG_HOME": "/x", "HOME": "/h"]) == "/x/kgtop/config.yaml")
        #expect(ContextConfig.defaultPath(environment: ["HOME": "/h"]) == "/h/.config/kgtop/config.yaml")
    }

    @Test("--context merges the context's properties, resolving env: and file: references")
    func connectionMerge() throws {
        try Self.withDirectory { dir in
            let secret = dir + "/kafka-secret"
            try "file-password\n".write(toFile: secret, atomically: true, encoding: .utf8)
            let propsFile = dir + "/prod.properties"
            try "client.id=from-file\nsecurity.protocol=PLAINTEXT\n".write(toFile: propsFile, atomically: true, encoding: .utf8)
            let config = dir + "/config.yaml"
            try """
                current-context: local
                contexts:
                  prod:
                    bootstrap: broker1:9092
                    properties-file: \(propsFile)
                    properties:
                      security.protocol: SASL_PLAINTEXT
                      sasl.mechanism: SCRAM-SHA-512
                      sasl.username: monitor
                      sasl.password: env:KAFKA_PASSWORD
                  files:
                    bootstrap: broker2:9092
                    properties:
                      sasl.password: file:\(secret)
                  local:
                    bootstrap: 127.0.0.1:9092
                """.write(toFile: config, atomically: true, encoding: .utf8)
            let env = ["KGTOP_CONFIG": config, "KAFKA_PASSWORD": "env-password"]

            let prod = try ConnectionOptions.parse(["--context", "prod"]).resolvedProperties(environment: env)
            #expect(prod["bootstrap.servers"] == "broker1:9092")
            #expect(prod["client.id"] == "from-file")
            #expect(prod["security.protocol"] == "SASL_PLAINTEXT", "properties win over properties-file")
            #expect(prod["sasl.password"] == "env-password")
            let files = try ConnectionOptions.parse(["--context", "files"]).resolvedProperties(environment: env)
            #expect(files["sasl.password"] == "file-password")

            // Command-line options win over the context.
            let overridden = try ConnectionOptions.parse(["--context", "prod", "-b", "other:9092", "-X", "client.id=cli"])
                .resolvedProperties(environment: env)
            #expect(overridden["bootstrap.servers"] == "other:9092" && overridden["client.id"] == "cli")

            // No cluster given: the current context; brokers given: no context at all.
            #expect(try ConnectionOptions.parse([]).resolvedProperties(environment: env)["bootstrap.servers"] == "127.0.0.1:9092")
            let plain = try ConnectionOptions.parse(["-b", "x:1"]).resolvedProperties(environment: env)
            #expect(plain == ["bootstrap.servers": "x:1"])

            // A missing variable, an unknown context: errors naming file, line and key.
            let prodOptions = try ConnectionOptions.parse(["--context", "prod"])
            do {
                _ = try prodOptions.resolvedProperties(environment: ["KGTOP_CONFIG": config])
                Issue.record("a missing variable must fail")
            } catch let error as UserFacingError {
                #expect(error.message == "\(config):10: contexts.prod.properties.sasl.password: environment variable KAFKA_PASSWORD is not set")
                #expect(error.code == KgtopExit.usage)
            }
            let stagingOptions = try ConnectionOptions.parse(["--context", "staging"])
            do {
                _ = try stagingOptions.resolvedProperties(environment: env)
                Issue.record("an unknown context must fail")
            } catch let error as UserFacingError {
                #expect(error.message.contains("no context named \"staging\"; defined: prod, files, local"), "\(error.message)")
            }
        }
    }

    @Test("kgtop contexts lists every context, marks the current one, shows no secret")
    func listing() throws {
        let config = try ContextConfig.parse(Self.example, path: "/etc/kgtop/config.yaml")
        let text = ContextsCommand.render(config)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.first == "config /etc/kgtop/config.yaml  current prod")
        #expect(lines.contains { $0.hasPrefix("prod (current)") && $0.contains("sasl.password=env:KAFKA_PASSWORD") && $0.contains("interval 5s") })
        #expect(lines.contains { $0.hasPrefix("local ") && $0.contains("127.0.0.1:9092") })
        let env = ["KGTOP_CONFIG": "/nonexistent/kgtop.yaml"]
        #expect(throws: UserFacingError.self) { try ContextsCommand.render(environment: env) }
        #expect(try ContextsCommand.render(environment: ["HOME": "/nonexistent-home"]).hasPrefix("no config file at /nonexistent-home/.config/kgtop/config.yaml"))
    }
}
