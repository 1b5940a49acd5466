import ArgumentParser
import Foundation

/// kgtop's documented exit codes (README, "Exit codes": one table per command, checked against
/// the binary by ExitCodeTableTests).
public enum KgtopExit {
    /// Success; for `check`: every rule holds.
    public static let ok: Int32 = 0
    /// `check`: a warning threshold is crossed.
    public static let warning: Int32 = 1
    /// `check`: a critical rule failed; `wait`: the condition did not hold before the timeout.
    public static let critical: Int32 = 2
    /// The cluster could not be observed (no broker answered, authentication failed); also `wait`
    /// when no group matches its pattern, `record` when it recorded no poll, and an input file
    /// that cannot be read as a recording.
    public static let unobservable: Int32 = 3
    /// Bad command line, properties file, theme or other input (ArgumentParser's usage code).
    public static let usage: Int32 = 64
    /// Interrupted by SIGINT (128 + 2).
    public static let interrupted: Int32 = 130
}

/// An error the user can act on: printed as one line on stderr, then kgtop exits with `code`.
public struct UserFacingError: Error, CustomStringConvertible {
    /// The message, naming the culprit.
    public var message: String
    /// The exit code.
    public var code: Int32

    /// Creates an error.
    public init(_ message: String, code: Int32 = KgtopExit.usage) {
        self.message = message
        self.code = code
    }

    public var description: String { message }
}

/// Prints `error` as `kgtop: message` on stderr and returns the exit code to use.
func report(_ error: UserFacingError) -> ExitCode {
    FileHandle.standardError.write(Data("kgtop: \(error.message)\n".utf8))
    return ExitCode(error.code)
}

/// Writes a line to stderr.
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
