import KgtopCLI

/// The executable's entry point: all logic lives in KgtopCLI.
@main
struct Entry {
    static func main() async {
        await KgtopCommand.main()
    }
}
