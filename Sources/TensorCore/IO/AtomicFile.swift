import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes files atomically: the bytes go to a temporary file in the destination's directory, which is flushed
/// to disk and then renamed over the destination. A reader (or a crash at any moment) sees either the old
/// file or the complete new one, never a half-written file. Checkpoints and sample images are saved this way.
public enum AtomicFile {
    /// Writes `data` to `url` atomically (temporary file in the same directory, `fsync`, then `rename`).
    ///
    /// - Throws: ``AtomicFileError`` naming the destination path and the failing step.
    public static func write(_ data: Data, to url: URL) throws(AtomicFileError) {
        let destination = url.standardizedFileURL
        let directory = destination.deletingLastPathComponent()
        let temporary = directory.appendingPathComponent(temporaryPrefix(of: destination) + "\(UUID().uuidString).tmp")
        let path = destination.displayPath

        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else {
            throw AtomicFileError(path: path, reason: "cannot create a temporary file in \(directory.displayPath) (\(errnoText())); "
                + "the previous \(destination.lastPathComponent), if any, is left as it was")
        }
        var failure: String?
        data.withUnsafeBytes { (buffer: UnsafeRawBufferPointer) in
            var offset = 0
            while offset < buffer.count, let base = buffer.baseAddress {
                let written = posixWrite(fd, base + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = "write failed (\(errnoText()))"
                    return
                }
                offset += written
            }
        }
        if failure == nil, fsync(fd) != 0 { failure = "fsync failed (\(errnoText()))" }
        if close(fd) != 0, failure == nil { failure = "close failed (\(errnoText()))" }
        if failure == nil, rename(temporary.path, destination.path) != 0 {
            failure = "rename from temporary file failed (\(errnoText()))"
        }
        if let failure {
            unlink(temporary.path)
            // Every failure comes before the rename, so the destination was not touched: say so (a full disk
            // during a checkpoint save leaves the last good checkpoint).
            throw AtomicFileError(path: path, reason: failure + "; the previous \(destination.lastPathComponent), if any, is left as it was")
        }
    }

    /// A process killed between creating its temporary file and renaming it (`kill -9`, a power cut) leaves the
    /// temporary file behind; the destination itself is untouched. Removes such leftovers of `url` (for a
    /// checkpoint, one per interrupted save, each as large as the checkpoint) and returns what was removed. Call it
    /// only where no other process is writing `url` at the same moment, e.g. when a training run starts.
    @discardableResult
    public static func removeLeftovers(of url: URL) -> [URL] {
        let destination = url.standardizedFileURL
        let directory = destination.deletingLastPathComponent()
        let prefix = temporaryPrefix(of: destination)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasPrefix(prefix) && $0.hasSuffix(".tmp") }.map { directory.appendingPathComponent($0) }
            .filter { unlink($0.path) == 0 }
    }

    /// `.NAME.`: the start of every temporary file name `write` uses for `destination` (then a UUID and `.tmp`).
    private static func temporaryPrefix(of destination: URL) -> String {
        ".\(destination.lastPathComponent)."
    }

    private static func errnoText() -> String {
        String(cString: strerror(errno))
    }
}

// Inside `AtomicFile`, `write` means `AtomicFile.write`; this names the C function unambiguously.
private func posixWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, buffer, count)
}

/// A file could not be written atomically. The description names the destination and the failing step.
public struct AtomicFileError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The destination path, as shown to the user.
    public var path: String
    /// What went wrong.
    public var reason: String

    public var description: String { "\(path): \(reason)" }
}
