import Foundation

/// File operations through POSIX calls, so that a failure carries errno's reason ("No space
/// left on device", "Not a directory") rather than Foundation's "The operation could not be
/// completed".
enum FileSystem {
    /// `mkdir -p` (modes as the umask allows, like the shell's); returns the reason when a folder cannot be created.
    static func createFolders(_ path: String) -> String? {
        var partial = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            partial += "/" + component
            if mkdir(partial, 0o777) != 0 && errno != EEXIST { return String(cString: strerror(errno)) }
        }
        // EEXIST also means a file of that name.
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue else {
            return String(cString: strerror(ENOTDIR))
        }
        return nil
    }

    /// Writes `data` to a temporary file beside `path` and renames it into place, so a failed
    /// write leaves no half file; returns the reason on failure.
    static func writeAtomically(_ data: Data, to path: String) -> String? {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp").path
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o666)
        guard fd >= 0 else { return String(cString: strerror(errno)) }
        var failure: Int32? = nil
        data.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { failure = n < 0 ? errno : ENOSPC; return }
                offset += n
            }
        }
        if close(fd) != 0 && failure == nil { failure = errno }
        if failure == nil && rename(temporary, path) != 0 { failure = errno }
        guard let failure else { return nil }
        unlink(temporary)
        return String(cString: strerror(failure))
    }
}
