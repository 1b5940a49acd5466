import Testing

@testable import DashboardUI

@Suite("Format")
struct FormatTests {
    @Test("Names are shortened in the middle, keeping the end that tells them apart")
    func shortenMiddle() {
        #expect(Format.shortenMiddle("order-service~KKGw", 14) == "order-s…e~KKGw")
        #expect(Format.shortenMiddle("order-service~E-Mg", 14) == "order-s…e~E-Mg")
        #expect(Format.shortenMiddle("order-service~KKGw", 18) == "order-service~KKGw")
        #expect(Format.shortenMiddle("orders-0", 14) == "orders-0")
        #expect(DisplayWidth.of(Format.shortenMiddle("a-very-long-consumer-client-id@10.0.0.5", 20)) == 20)
    }
}
