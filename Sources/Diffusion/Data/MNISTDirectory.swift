import Foundation

extension MNIST {
    /// `Data/MNIST` of this project: looked up relative to the current directory first, then relative to
    /// the package root found from this source file's location (so `swift test` and the chapter executables
    /// find it from anywhere on the machine that built them). If neither exists, the current directory's
    /// `Data/MNIST`, so that the loading error names the expected place.
    public static var defaultDirectory: URL {
        dataDirectory("Data/MNIST", sourceFile: #filePath)
    }

    /// Resolves a data directory given relative to the package root, such as `Data/MNIST`: first relative to
    /// the current directory, then relative to each ancestor of `sourceFile` that contains a `Package.swift`.
    public static func dataDirectory(_ relativePath: String, sourceFile: String = #filePath) -> URL {
        let fileManager = FileManager.default
        func isDirectory(_ url: URL) -> Bool {
            var flag: ObjCBool = false
            return fileManager.fileExists(atPath: url.path, isDirectory: &flag) && flag.boolValue
        }
        let cwd = URL(fileURLWithPath: fileManager.currentDirectoryPath, isDirectory: true)
        let inWorkingDirectory = cwd.appendingPathComponent(relativePath, isDirectory: true)
        if isDirectory(inWorkingDirectory) { return inWorkingDirectory }

        var folder = URL(fileURLWithPath: sourceFile).deletingLastPathComponent()
        while folder.path != "/" && !folder.path.isEmpty {
            let candidate = folder.appendingPathComponent(relativePath, isDirectory: true)
            if fileManager.fileExists(atPath: folder.appendingPathComponent("Package.swift").path), isDirectory(candidate) {
                return candidate
            }
            folder = folder.deletingLastPathComponent()
        }
        return inWorkingDirectory
    }
}
