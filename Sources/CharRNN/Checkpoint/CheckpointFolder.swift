import Foundation

/// The checkpoints of a training run in one folder:
/// - `{cell}-iter{N}-val{loss}.h5` (or `{cell}-iter{N}.h5` before any validation), numbered by
///   iteration, the newest `keep` of them kept (0: all);
/// - `latest.h5`, the newest one, and `best.h5`, the one with the lowest validation loss (hard
///   links to numbered files, or copies where links are not supported).
public final class CheckpointFolder {
    public let path: String
    public let keep: Int
    private var lockDescriptor: Int32 = -1

    public init(path: String, keep: Int) throws(CheckpointError) {
        self.path = path
        self.keep = keep
        if let reason = FileSystem.createFolders(path) {
            throw .fileSystem(path: path, operation: "create the checkpoint folder", reason: reason)
        }
    }

    public var latestPath: String { (path as NSString).appendingPathComponent("latest.h5") }
    public var bestPath: String { (path as NSString).appendingPathComponent("best.h5") }

    public static func fileName(cell: CellKind, iteration: Int, validationLoss: Double?) -> String {
        let number = String(iteration)
        let padded = String(repeating: "0", count: max(0, 8 - number.count)) + number
        let loss = validationLoss.flatMap { $0.isFinite ? String(format: "-val%.4f", $0) : nil } ?? ""
        return "\(cell.rawValue)-iter\(padded)\(loss).h5"
    }

    /// Saves a numbered checkpoint crash-safely, points `latest.h5` (and `best.h5` when `isBest`)
    /// at it, and removes numbered checkpoints beyond `keep`. Returns the numbered file's path.
    @discardableResult
    public func save(_ checkpoint: Checkpoint, validationLoss: Double?, isBest: Bool) throws(CheckpointError) -> String {
        let iteration = checkpoint.training?.progress.iteration ?? 0
        let file = (path as NSString).appendingPathComponent(
            Self.fileName(cell: checkpoint.config.cell, iteration: iteration, validationLoss: validationLoss))
        try checkpoint.save(to: file)
        try Checkpoint.point(latestPath, at: file)
        if isBest { try Checkpoint.point(bestPath, at: file) }
        prune()
        return file
    }

    /// The numbered checkpoints, oldest first.
    public func numbered() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.compactMap { name -> (Int, String)? in
            guard name.hasSuffix(".h5"), !name.hasPrefix("."), let range = name.range(of: "-iter") else { return nil }
            let digits = name[range.upperBound...].prefix { $0.isNumber }
            guard let iteration = Int(digits) else { return nil }
            return (iteration, name)
        }.sorted { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }.map { (path as NSString).appendingPathComponent($0.1) }
    }

    /// The checkpoints a run left in the folder at `path` (numbered files, `latest.h5`,
    /// `best.h5`), without creating or claiming it.
    public static func existingCheckpoints(in path: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.filter { name in
            name == "latest.h5" || name == "best.h5" || (name.hasSuffix(".h5") && !name.hasPrefix(".") && name.contains("-iter"))
        }.sorted().map { (path as NSString).appendingPathComponent($0) }
    }

    /// Deletes what another run left here (call only while holding the folder's lock).
    public func removeCheckpoints() throws(CheckpointError) {
        for file in Self.existingCheckpoints(in: path) where unlink(file) != 0 && errno != ENOENT {
            throw .fileSystem(path: file, operation: "delete it", reason: String(cString: strerror(errno)))
        }
    }

    private func prune() {
        guard keep > 0 else { return }
        let files = numbered()
        for file in files.dropLast(keep) { unlink(file) }
    }

    /// Claims the folder for this process with an advisory lock on `.lock` (released by the
    /// kernel when the process ends, however it ends, so a crashed trainer leaves no stale lock).
    public func lock() throws(CheckpointError) {
        let lockPath = (path as NSString).appendingPathComponent(".lock")
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw .fileSystem(path: path, operation: "create its lock file", reason: String(cString: strerror(errno)))
        }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            defer { close(fd) }
            throw Self.heldBy(fd, path: path)
        }
        ftruncate(fd, 0)
        let pid = Array("\(getpid())\n".utf8)
        _ = pid.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        lockDescriptor = fd
    }

    deinit { if lockDescriptor >= 0 { close(lockDescriptor) } }

    /// The error for a folder another trainer holds, naming it by the pid in its lock file.
    private static func heldBy(_ fd: Int32, path: String) -> CheckpointError {
        var buffer = [UInt8](repeating: 0, count: 32)
        let n = pread(fd, &buffer, buffer.count, 0)
        let holder = n > 0 ? String(decoding: buffer.prefix(n), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : "?"
        return .fileSystem(path: path, operation: "train into this folder", reason: "another rnn-train (pid \(holder)) is writing checkpoints into it")
    }

    /// Throws when a running trainer holds the folder at `path` (a check before other complaints
    /// about the folder; creates nothing).
    public static func checkNotHeld(_ path: String) throws(CheckpointError) {
        let fd = open((path as NSString).appendingPathComponent(".lock"), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        guard flock(fd, LOCK_SH | LOCK_NB) == 0 else { throw heldBy(fd, path: path) }
        flock(fd, LOCK_UN)
    }

    /// Removes temporary files that an interrupted save left behind (call only while holding the
    /// folder, so that no other trainer is saving into it).
    public func removeUnfinishedSaves() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        for name in names where name.hasPrefix(Checkpoint.temporaryPrefix) {
            unlink((path as NSString).appendingPathComponent(name))
        }
    }
}
