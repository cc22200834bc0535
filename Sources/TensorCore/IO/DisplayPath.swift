import Foundation

extension URL {
    /// The path to show in messages: relative to the current directory when the file is inside it
    /// (`Data/MNIST/train-images-idx3-ubyte.gz`), absolute otherwise.
    public var displayPath: String {
        let full = standardizedFileURL.path
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).standardizedFileURL.path
        let prefix = cwd.hasSuffix("/") ? cwd : cwd + "/"
        if full.hasPrefix(prefix), full.count > prefix.count {
            return String(full.dropFirst(prefix.count))
        }
        return full
    }
}
