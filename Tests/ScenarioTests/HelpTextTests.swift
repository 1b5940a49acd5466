import Foundation
import Testing

@testable import KgtopCLI

/// Every command's `--help`, rendered as a person reads it: sentences are not broken by a line end
/// written into the source, no option states its default twice, usage lines list the options, and
/// the `--type` help names everything `--type` accepts.
@Suite("--help texts")
struct HelpTextTests {
    static let pages = KgtopCommand.helpPages(columns: 100)

    @Test("Every subcommand has a help page")
    func everyCommand() {
        #expect(Set(Self.pages.map(\.command)) == Set(["kgtop"] + KgtopCommand.commandNames))
    }

    /// The line ends written into `text` that cut a sentence: a line end is fine after a sentence
    /// (`.`, `:`, `!`, `?`), before or after a blank line, and around an indented (list) line.
    static func cuts(_ text: String) -> [String] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var out: [String] = []
        for (line, next) in zip(lines, lines.dropFirst()) {
            if line.trimmingCharacters(in: .whitespaces).isEmpty || next.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            if line.hasPrefix(" ") || next.hasPrefix(" ") { continue }
            if let last = line.trimmingCharacters(in: .whitespaces).last, ".:!?".contains(last) { continue }
            out.append(line)
        }
        return out
    }

    @Test("No abstract or discussion breaks a sentence with a line end")
    func noSentenceCut() {
        for page in Self.pages {
            #expect(!page.abstract.contains("\n"), "\(page.command): the abstract is one line")
            let cuts = Self.cuts(page.discussion)
            #expect(cuts.isEmpty, "\(page.command): a line end cuts the sentence after: \(cuts)")
        }
        // The rule itself.
        #expect(Self.cuts("One sentence.\nAnother.\n\nA list:\n  a  one\n  b  two\nAfter it.") == [])
        #expect(Self.cuts("A sentence cut\nin two.") == ["A sentence cut"])
    }

    /// The help of each option of a page: the `-x, --name <value>` line and its continuation lines.
    static func optionBlocks(_ page: String) -> [String] {
        var blocks: [String] = []
        var inOptions = false
        for line in page.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasSuffix(":") && !line.hasPrefix(" ") {
                inOptions = line == "OPTIONS:" || line == "ARGUMENTS:"
                continue
            }
            guard inOptions, !line.isEmpty else { continue }
            if line.hasPrefix("  -") || (line.hasPrefix("  <") && !line.hasPrefix("   ")) {
                blocks.append(String(line))
            } else if !blocks.isEmpty {
                blocks[blocks.count - 1] += " " + line.trimmingCharacters(in: .whitespaces)
            }
        }
        return blocks
    }

    /// How many times an option's help states a default.
    static func defaults(_ block: String) -> Int {
        let pattern = #"\(default[: ]|[;,] default[: ]|\bdefault \d"#
        let re = try! NSRegularExpression(pattern: pattern, options: [.caseInsensitive])
        return re.numberOfMatches(in: block, range: NSRange(block.startIndex..., in: block))
    }

    @Test("No option states its default twice")
    func defaultsOnce() {
        var checked = 0
        for page in Self.pages {
            for block in Self.optionBlocks(page.page) {
                checked += 1
                #expect(Self.defaults(block) <= 1, "\(page.command): \(block)")
            }
        }
        #expect(checked > 100)
        #expect(Self.defaults("--step-timeout <d>  Wait this long (default 120s). (default: 120s)") == 2)
        #expect(Self.defaults("--theme <name>  Theme: default, light, monochrome.") == 0)
    }

    /// The USAGE section of a page (it may span lines).
    static func usage(_ page: String) -> String {
        let lines = page.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(where: { $0.hasPrefix("USAGE:") }) else { return "" }
        return lines[start...].prefix { !$0.isEmpty }.joined(separator: " ")
    }

    @Test("Usage lines list every option instead of a placeholder")
    func usageListsOptions() {
        for page in Self.pages where page.command != "kgtop" {
            let usage = Self.usage(page.page)
            #expect(!usage.contains("<options>"), "\(page.command): \(usage)")
            for block in Self.optionBlocks(page.page) {
                // The option's long name (or its only name), e.g. `--max-lag` from `  --max-lag <n>  ...`.
                let names = block.split(separator: " ").prefix { $0.hasPrefix("-") || $0.hasSuffix(",") }.map { $0.trimmingCharacters(in: CharacterSet(charactersIn: ",")) }
                guard let name = names.last, !["--version", "--help"].contains(name) else { continue }
                #expect(usage.contains(name + " ") || usage.contains(name + "]") || names.contains { usage.contains($0 + " ") },
                        "\(page.command): the usage lacks \(name): \(usage)")
            }
        }
        let checkUsage = Self.usage(Self.pages.first { $0.command == "check" }?.page ?? "")
        #expect(checkUsage.contains("--max-lag"))
    }

    @Test("--type help names every type --type accepts")
    func typesListed() {
        var seen = 0
        for page in Self.pages {
            for block in Self.optionBlocks(page.page) where block.hasPrefix("  --type") {
                seen += 1
                for type in GroupFilter.acceptedTypes.sorted() {
                    #expect(block.contains(type), "\(page.command) --type help lacks \(type): \(block)")
                }
            }
        }
        #expect(seen >= 2)
    }
}
