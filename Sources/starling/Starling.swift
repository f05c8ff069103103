import StarlingCLI

/// The `starling` executable: everything happens in `StarlingCLI`.
@main
enum Starling {
    static func main() async {
        await StarlingCommand.run()
    }
}
