#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Process-wide memory settings for the programs that poll (kgtop and its benchmark).
public enum ProcessMemory {
    /// The number of glibc malloc arenas ``tuneMalloc()`` allows.
    public static let mallocArenas: Int32 = 1

    /// The size from which ``tuneMalloc()`` has glibc map an allocation on its own (12 MiB).
    public static let mmapThreshold: Int32 = 12 << 20

    /// The free space at the top of the heap ``tuneMalloc()`` lets glibc keep (64 MiB).
    public static let trimThreshold: Int32 = 64 << 20

    /// Tunes glibc's malloc for a process that polls a large cluster again and again. Call it
    /// first thing in `main`, before any thread starts. A setting the user made in the environment
    /// (`MALLOC_ARENA_MAX`, `MALLOC_MMAP_THRESHOLD_`, `MALLOC_TRIM_THRESHOLD_`, or any malloc
    /// tunable in `GLIBC_TUNABLES`) is left to the user. Does nothing on other C libraries.
    ///
    /// - One arena (``mallocArenas``). glibc gives each thread that allocates concurrently its own
    ///   arena (up to 8 per core), and memory freed in one arena is not reused by another. The
    ///   poller decodes answers on the networking threads and the monitor derives on another, so a
    ///   poll's transient memory ended up spread over several arenas, and the process's peak
    ///   depended on which poll and derivation happened to overlap. At 10,000 groups the dashboard
    ///   pipeline peaked at 488 MB with the default and 177-261 MB with two arenas; with one it
    ///   peaked at 172-188 MB, run after run, with no loss of speed measured.
    /// - A fixed mmap threshold (``mmapThreshold``). By default glibc raises its threshold to the
    ///   size of each large block freed (up to 32 MiB), so after the first poll the large arrays of
    ///   every later poll come from the heap and leave holes in it. A fixed threshold keeps the
    ///   largest ones (at 50,000 groups) in mappings of their own, returned when freed. It is set
    ///   above the largest arrays of a 10,000-group poll (about 10 MB): a mapping is new memory,
    ///   and every page of it faults when first written, poll after poll. Fixing it
    ///   also fixes the trim threshold, so that is set to ``trimThreshold``, the most the default
    ///   would reach: below it, every free at the top of the heap would be returned and taken again
    ///   at the next poll.
    ///
    /// The figures behind these values are in docs/PERFORMANCE.md.
    public static func tuneMalloc() {
        #if canImport(Glibc)
        let environment = ProcessInfo.processInfo.environment
        if let tunables = environment["GLIBC_TUNABLES"], tunables.contains("glibc.malloc.") { return }
        // mallopt(3) is declared in <malloc.h>, which the Glibc module does not include; look it up.
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(nil, "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        // Parameter numbers from <malloc.h>.
        let arenaMax: Int32 = -8, mmapThresholdParameter: Int32 = -3, trimThresholdParameter: Int32 = -1
        if environment["MALLOC_ARENA_MAX"] == nil { _ = mallopt(arenaMax, mallocArenas) }
        if environment["MALLOC_MMAP_THRESHOLD_"] == nil, environment["MALLOC_TRIM_THRESHOLD_"] == nil {
            _ = mallopt(mmapThresholdParameter, mmapThreshold)
            _ = mallopt(trimThresholdParameter, trimThreshold)
        }
        #endif
    }
}
