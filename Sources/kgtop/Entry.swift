import KgtopCLI
import MallocTuning

/// The executable's entry point: all logic lives in KgtopCLI.
@main
struct Entry {
    static func main() async {
        ProcessMemory.tuneMalloc()
        await KgtopCommand.main()
    }
}
