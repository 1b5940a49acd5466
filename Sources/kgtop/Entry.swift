import KgtopCLI
import MallocTuning

/// The executable's entry point: all logic lives in KgtopCLI.
@main
struct Entry {
    static func main() async {
        ProcessMemory.limitMallocArenas()
        await KgtopCommand.main()
    }
}
