#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Process-wide memory settings for the programs that poll (kgtop and its benchmark).
public enum ProcessMemory {
    /// The number of glibc malloc arenas ``limitMallocArenas()`` allows.
    public static let mallocArenas: Int32 = 1

    /// Limits glibc's malloc to ``mallocArenas`` arenas, unless `MALLOC_ARENA_MAX` is set.
    ///
    /// glibc gives each thread that allocates concurrently its own arena (up to 8 per core), and
    /// memory freed in one arena is not reused by another. The poller decodes answers on the
    /// networking threads and the monitor derives on another, so a poll's transient memory ends up
    /// spread over several arenas, and the process's peak depends on which poll and derivation
    /// happened to overlap. At 10,000 groups the dashboard pipeline peaked at 488 MB with the
    /// default and 177-261 MB with two arenas; with one it peaked at 172-188 MB, run after run, with
    /// no loss of speed measured (docs/PERFORMANCE.md). Call it first thing in `main`, before any
    /// thread starts. Does nothing on other C libraries.
    public static func limitMallocArenas() {
        #if canImport(Glibc)
        guard ProcessInfo.processInfo.environment["MALLOC_ARENA_MAX"] == nil else { return }
        // mallopt(3) is declared in <malloc.h>, which the Glibc module does not include; look it up.
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(nil, "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        let arenaMax: Int32 = -8  // M_ARENA_MAX in <malloc.h>
        _ = mallopt(arenaMax, mallocArenas)
        #endif
    }
}
