import Foundation

/// Where the tests find the repository.
public enum Repository {
    /// The repository root: the folder holding README.md above this file.
    public static let root: URL = {
        var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("README.md").path), dir.path != "/" {
            dir = dir.deletingLastPathComponent()
        }
        return dir
    }()
}
