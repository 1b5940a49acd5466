import Testing
@testable import KafkaAdmin
