import GroupModel
import KafkaAdmin
import KafkaWire
import Testing

/// The admin client names and classifies broker errors from KafkaWire's table, the only one in kgtop
/// (it once had a second table that stopped at code 115).
@Suite struct ErrorTableTests {
    @Test func everyKnownCodeIsNamedAndClassifiedAsTheWireTableSays() {
        for code in KafkaErrorCode.allKnown where code.isError {
            let item = AdminItemError.broker(code.code)
            #expect(item.name == code.name, "code \(code.code)")
            #expect(item.isRetriable == code.isRetriable, "code \(code.code)")
            #expect(item.code == code.code)
        }
    }

    /// The fault rule (``FaultMemory``) keys a broker's connection faults by these names: the
    /// client's connection-level errors carry them, and nothing else does.
    @Test func connectionLevelFailuresAreConnectionFaultsAndNothingElseIs() {
        func item(_ kind: AdminItemError.Kind) -> ItemError {
            let e = AdminItemError(kind)
            return ItemError(code: e.code, name: e.name, message: e.message)
        }
        for kind: AdminItemError.Kind in [.connection, .timeout, .malformedResponse] {
            #expect(item(kind).isConnectionFault, "\(kind)")
        }
        for kind: AdminItemError.Kind in [.unsupportedVersion, .missingFromResponse, .notRoutable, .notSupported, .broker(code: 13), .broker(code: 16)] {
            #expect(!item(kind).isConnectionFault, "\(kind)")
        }
    }

    @Test func newerGroupCodesHaveTheirNames() {
        #expect(AdminItemError.broker(128).name == "INVALID_REGULAR_EXPRESSION")
        #expect(AdminItemError.broker(129).name == "REBOOTSTRAP_REQUIRED")
        #expect(AdminItemError.broker(130).name == "STREAMS_INVALID_TOPOLOGY")
        // Retriable in the Java client (their exceptions are RetriableException).
        for code: Int16 in [122, 123, 133] { #expect(AdminItemError.broker(code).isRetriable, "code \(code)") }
        #expect(!AdminItemError.broker(128).isRetriable)
    }

    @Test func aCodeNoTableKnowsIsStillShownWithItsNumber() {
        let item = AdminItemError.broker(999)
        #expect(item.name == "UNKNOWN_CODE_(999)")
        #expect(!item.isRetriable)
        #expect(item.description == "UNKNOWN_CODE_(999) (999)")
    }
}
