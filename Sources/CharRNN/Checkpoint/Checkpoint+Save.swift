import Foundation

/// The temporary file a save is writing, as a C string (empty when none), so that a second
/// Ctrl-C, which ends the process at once from a signal handler, can remove it with `unlink`
/// (async-signal-safe) instead of leaving it behind.
nonisolated(unsafe) public let unfinishedSavePath: UnsafeMutablePointer<CChar> = {
    let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(PATH_MAX) + 1)
    buffer[0] = 0
    return buffer
}()

extension Checkpoint {
    /// Prefix of the temporary files saving writes; any file with it is an unfinished save.
    public static let temporaryPrefix = ".tmp-"

    static func registerUnfinished(_ path: String) {
        guard path.utf8.count <= Int(PATH_MAX) else { return }
        unfinishedSavePath[0] = 0
        path.withCString { _ = strcpy(unfinishedSavePath, $0) }
    }

    static func clearUnfinished() { unfinishedSavePath[0] = 0 }

    /// Saves crash-safely: writes a temporary file in the same folder, closes it, reads it back
    /// and compares, fsyncs it, renames it over `path` and fsyncs the folder. At every moment
    /// `path` holds either the previous complete file or the new complete file; on failure the
    /// temporary file is removed and the previous file is untouched.
    public func save(to path: String) throws(CheckpointError) {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent("\(Self.temporaryPrefix)\(getpid())-\(UInt32.random(in: 0...UInt32.max))-\(url.lastPathComponent)").path
        Self.registerUnfinished(temporary)
        defer { Self.clearUnfinished() }
        do throws(CheckpointError) {
            try write(to: temporary)
            let check = try Checkpoint.read(from: temporary, allowNonFinite: true)
            guard check == self else {
                throw CheckpointError.invalid(path: temporary, object: "/", problem: "reads back differently from what was written")
            }
            try Self.sync(temporary, path: path)
            guard rename(temporary, path) == 0 else {
                throw CheckpointError.fileSystem(path: path, operation: "rename the new checkpoint into place", reason: String(cString: strerror(errno)))
            }
            try Self.sync(folder, path: path)
        } catch {
            unlink(temporary)
            // The user knows the checkpoint's name, not the temporary one.
            if case .fileSystem(temporary, let operation, let reason) = error {
                throw .fileSystem(path: path, operation: operation, reason: reason)
            }
            throw error
        }
    }

    /// Makes `link` name the same file as `target` (both in one folder), atomically replacing
    /// whatever `link` named; copies crash-safely where hard links are not supported.
    public static func point(_ link: String, at target: String) throws(CheckpointError) {
        let url = URL(fileURLWithPath: link)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent("\(temporaryPrefix)\(getpid())-link-\(url.lastPathComponent)").path
        unlink(temporary)
        registerUnfinished(temporary)
        defer { clearUnfinished() }
        if Foundation.link(target, temporary) == 0 {
            guard rename(temporary, link) == 0 else {
                let reason = String(cString: strerror(errno))
                unlink(temporary)
                throw .fileSystem(path: link, operation: "rename into place", reason: reason)
            }
            try sync(url.deletingLastPathComponent().path, path: link)
            return
        }
        try read(from: target, allowNonFinite: true).save(to: link)
    }

    /// fsync of a file or folder.
    static func sync(_ file: String, path: String) throws(CheckpointError) {
        let fd = open(file, O_RDONLY)
        guard fd >= 0 else {
            throw .fileSystem(path: path, operation: "open \(file) to sync it", reason: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw failure(path, "sync \(file)", errno) }
    }

    /// The current time as ISO 8601 in UTC.
    public static func timestamp() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date())
    }
}
