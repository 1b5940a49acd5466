import GroupModel
import Testing

/// The one duration grammar: compound forms, bounds, and messages that say what is wrong.
@Suite("DurationText")
struct DurationTextTests {
    @Test("Single and compound forms, bare seconds, case and blanks", arguments: [
        ("250ms", 250), ("30s", 30_000), ("1.5s", 1_500), ("5m", 300_000), ("1h", 3_600_000), ("2d", 172_800_000),
        ("1h30m", 5_400_000), ("1m30s", 90_000), ("2m30.5s", 150_500), ("1h0m1s", 3_601_000), ("1s500ms", 1_500),
        ("12", 12_000), ("0.25", 250), ("0", 0), ("0s", 0), (" 5M ", 300_000), ("365d", 31_536_000_000),
    ] as [(String, Int64)])
    func parses(_ text: String, _ ms: Int64) throws {
        #expect(try DurationText.milliseconds(text) == ms)
    }

    @Test("Refused with the reason", arguments: [
        ("", "empty"), ("   ", "empty"), ("-5s", "must be positive"), ("-1", "must be positive"), ("+5s", "without a sign"),
        ("abc", "not a duration"), ("5x", "units are"), ("5 m", "units are"), ("1h30", "units are"), ("ms", "not a duration"),
        ("1..5s", "not a duration"), ("inf", "not a duration"), ("nan", "not a duration"), ("1e3s", "units are"),
        ("366d", "too long"), ("99999999999999h", "too long"), ("9999999999999999999999999999", "too long"),
        ("8760h1ms", "too long"),
    ] as [(String, String)])
    func refuses(_ text: String, _ reason: String) {
        #expect {
            _ = try DurationText.milliseconds(text)
        } throws: { error in
            "\(error)".contains(reason)
        }
    }

    @Test("format writes what parses back to the same value", arguments: [
        Int64(0), 1, 250, 999, 1_000, 1_500, 1_234, 30_000, 90_000, 300_000, 3_600_000, 5_400_000, 86_400_000, 90_061_000,
        DurationText.maximumMs,
    ])
    func formatRoundTrips(_ ms: Int64) throws {
        let text = DurationText.format(ms)
        #expect(try DurationText.milliseconds(text) == ms, "\(ms) → \(text)")
    }

    @Test("format is short and exact")
    func formatShapes() {
        #expect(DurationText.format(250) == "250ms")
        #expect(DurationText.format(30_000) == "30s")
        #expect(DurationText.format(1_500) == "1.5s")
        #expect(DurationText.format(1_234) == "1234ms")
        #expect(DurationText.format(5_400_000) == "1h30m")
        #expect(DurationText.format(90_061_000) == "1d1h1m1s")
    }
}
