import Foundation
import Testing
@testable import DashboardUI

@Suite("Themes")
struct ThemeTests {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test("the built-in themes load and match the files in themes/")
    func builtins() throws {
        #expect(Theme.builtins.map(\.name) == ["default", "light", "monochrome", "high-contrast"])
        for file in Theme.builtinFiles {
            let url = Self.repoRoot.appendingPathComponent("themes/\(file.name).json")
            let onDisk = try String(contentsOf: url, encoding: .utf8)
            #expect(onDisk == file.json + "\n", "themes/\(file.name).json differs from the embedded copy")
            let loaded = try Theme.load(path: url.path)
            #expect(loaded == Theme.builtins.first { $0.name == file.name })
        }
    }

    @Test("monochrome uses attributes only and marks every problem role")
    func monochrome() {
        let mono = Theme.monochrome
        #expect(mono.isMonochrome)
        for role: ThemeRole in [.selection, .lagWarn, .lagCritical, .rebalancing, .errorText, .verdictWarn, .verdictStall, .verdictStop, .verdictRewind, .verdictErr, .header, .keyBar, .paused] {
            #expect(!mono.style(role).attributes.isEmpty, "monochrome \(role) has no attributes")
        }
        // Colour themes fall back to the monochrome attributes.
        #expect(Theme.standard.monochromeAttributes(.selection) == [.reverse])
    }

    static func document(replacing role: String, with style: String) -> Data {
        var text = Theme.defaultJSON
        let range = text.range(of: "\"\(role)\": ")!
        let lineEnd = text[range.upperBound...].firstIndex(of: "\n")!
        let hasComma = text[text.index(before: lineEnd)] == ","
        text.replaceSubrange(range.lowerBound..<lineEnd, with: style + (hasComma ? "," : ""))
        return Data(text.utf8)
    }

    @Test("validation names the bad key", arguments: [
        ("\"lagWarn\": {\"fg\": \"purplish\"}", "roles.lagWarn.fg"),
        ("\"lagWarn\": {\"fg\": 300}", "roles.lagWarn.fg"),
        ("\"lagWarn\": {\"bg\": true}", "roles.lagWarn.bg"),
        ("\"lagWarn\": {\"attrs\": [\"sparkly\"]}", "roles.lagWarn.attrs"),
        ("\"lagWarn\": {\"colour\": 1}", "roles.lagWarn.colour"),
        ("\"lagWarn\": {}, \"lagWarm\": {}", "roles.lagWarm"),
        ("\"lagWarn\": \"red\"", "roles.lagWarn"),
    ])
    func validation(style: String, key: String) {
        let data = Self.document(replacing: "lagWarn", with: style)
        #expect {
            _ = try Theme.parse(data, source: "custom.json")
        } throws: { error in
            guard let error = error as? ThemeError else { return false }
            return error.key == key && error.description.contains("custom.json: \(key):")
        }
    }

    @Test("a missing role is named")
    func missingRole() throws {
        var text = Theme.defaultJSON
        let line = text.range(of: "    \"rebalancing\": {\"fg\": 177},\n")!
        text.removeSubrange(line)
        do {
            _ = try Theme.parse(Data(text.utf8))
            Issue.record("expected an error")
        } catch {
            #expect(error.key == "roles.rebalancing")
            #expect(error.description == "theme: roles.rebalancing: missing (every role needs a style)")
        }
    }

    @Test("a theme file written before the changed role still loads, with the fallback style")
    func changedRoleMayBeMissing() throws {
        var text = Theme.defaultJSON
        let line = try #require(text.range(of: #",\n    "changed": \{[^}]*\}"#, options: .regularExpression))
        text.removeSubrange(line)
        #expect(!text.contains("\"changed\""))
        let theme = try Theme.parse(Data(text.utf8))
        #expect(theme.styles[.changed] == ThemeRole.changed.fallbackStyle)
        #expect(ThemeRole.rebalancing.fallbackStyle == nil)
    }

    @Test("unknown theme names list the built-in ones")
    func resolve() throws {
        #expect(try Theme.resolve("light").name == "light")
        do {
            _ = try Theme.resolve("solarized")
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("default, light, monochrome, high-contrast"))
        }
    }

    @Test("colours degrade to the basic palette")
    func palette() {
        #expect(ThemeColor.indexed(196).index(forPaletteSize: 256) == 196)
        #expect(ThemeColor.indexed(196).index(forPaletteSize: 8) == 1)
        #expect(ThemeColor.indexed(71).index(forPaletteSize: 8) == 2)
        #expect(ThemeColor.indexed(12).index(forPaletteSize: 8) == 4)
        #expect(ThemeColor.indexed(12).index(forPaletteSize: 16) == 12)
        #expect(ThemeColor.terminalDefault.index(forPaletteSize: 256) == nil)
    }
}

@Suite("Cell grid")
struct CellGridTests {
    @Test("wide characters take two cells and are clipped whole")
    func wide() {
        var grid = CellGrid(width: 6, height: 1)
        let used = grid.put("a漢字b", x: 0, y: 0, role: .normal)
        #expect(used == 6)
        #expect(grid[1, 0].width == 2 && grid[2, 0].isContinuation)
        #expect(grid.text == ["a漢字b"])
        var narrow = CellGrid(width: 4, height: 1)
        narrow.put("ab漢", x: 1, y: 0, role: .normal)
        #expect(narrow.text == [" ab"])
        #expect(DisplayWidth.of("é") == 1)
        #expect(DisplayWidth.of("🚀") == 2)
    }

    @Test("control characters are shown as ?")
    func control() {
        var grid = CellGrid(width: 5, height: 1)
        grid.put("a\tb", x: 0, y: 0, role: .normal)
        #expect(grid.text == ["a?b"])
    }
}
