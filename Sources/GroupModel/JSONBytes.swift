/// The bytes a JSON writer appends to: one growing allocation written through a pointer.
///
/// The snapshot's writers append a few bytes at a time, a hundred million bytes in all; an
/// `Array`'s `append(contentsOf:)` costs more per call than the bytes it copies (a uniqueness and
/// a capacity check, a generic copy). Here an append is a capacity check and a `memcpy`.
/// Non-copyable, so that no two values can write into the same memory: it is passed `inout`,
/// handed on by ``withBytes(_:)``, or made into an array by ``array``.
struct JSONBytes: ~Copyable {
    private var base: UnsafeMutablePointer<UInt8>
    /// The bytes written so far.
    private(set) var count = 0
    private var capacity: Int

    /// An empty buffer with room for `capacity` bytes before it first grows.
    init(capacity: Int = 64) {
        self.capacity = max(capacity, 16)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    /// Whether nothing is written.
    var isEmpty: Bool { count == 0 }

    /// The bytes written, as an array (a copy).
    var array: [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }

    /// Hands `body` the bytes written, in place.
    func withBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    /// Forgets the bytes written and keeps the memory.
    mutating func removeAll() { count = 0 }

    /// Makes room for `minimum` bytes in all.
    mutating func reserveCapacity(_ minimum: Int) {
        if minimum > capacity { grow(to: minimum) }
    }

    @inline(never)
    private mutating func grow(to minimum: Int) {
        let newCapacity = max(minimum, capacity * 2)
        let moved = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        moved.initialize(from: base, count: count)
        base.deallocate()
        base = moved
        capacity = newCapacity
    }

    /// Appends one byte.
    @inline(__always)
    mutating func append(_ byte: UInt8) {
        if count == capacity { grow(to: count + 1) }
        base[count] = byte
        count += 1
    }

    /// Appends `bytes`.
    @inline(__always)
    mutating func append(contentsOf bytes: UnsafeBufferPointer<UInt8>) {
        let n = bytes.count
        guard n > 0, let from = bytes.baseAddress else { return }
        if capacity - count < n { grow(to: count + n) }
        (base + count).update(from: from, count: n)
        count += n
    }

    /// Appends `bytes`.
    mutating func append(contentsOf bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { append(contentsOf: $0) }
    }

    /// Appends a string's UTF-8 bytes.
    mutating func append(utf8Of text: String) {
        var text = text
        text.withUTF8 { append(contentsOf: $0) }
    }

    /// Appends the bytes of `other` in `range`.
    mutating func append(_ other: borrowing JSONBytes, range: Range<Int>) {
        precondition(range.lowerBound >= 0 && range.upperBound <= other.count, "a range of the bytes written")
        append(contentsOf: UnsafeBufferPointer(start: other.base + range.lowerBound, count: range.count))
    }
}
