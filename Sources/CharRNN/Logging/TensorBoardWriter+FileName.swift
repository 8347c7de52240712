import Foundation

extension TensorBoardWriter {
    static let fileNamePrefix = "events.out.tfevents."

    /// TensorBoard reads the files of a folder in name order, and a resumed run's file must come
    /// after the file of the run it resumes (which may have started within the same second): the
    /// name's timestamp is now, or one more than the latest already in the folder.
    /// The event files already in `logdir` (none when it does not exist).
    public static func eventFiles(in logdir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: logdir)) ?? [])
            .filter { $0.hasPrefix(fileNamePrefix) }.sorted().map { (logdir as NSString).appendingPathComponent($0) }
    }

    static func fileName(existing: [String], now: Int, host: String, pid: Int32) -> String {
        var seconds = now
        for name in existing where name.hasPrefix(fileNamePrefix) {
            if let taken = Int(name.dropFirst(fileNamePrefix.count).prefix { $0.isNumber }), taken >= seconds {
                seconds = taken + 1
            }
        }
        let digits = String(seconds)
        let padded = String(repeating: "0", count: max(0, 10 - digits.count)) + digits
        return "\(fileNamePrefix)\(padded).\(host).\(pid)"
    }

    /// Creates a new event file (never reusing one) and opens it for appending.
    static func createEventFile(in logdir: String) throws(TensorBoardError) -> (path: String, descriptor: Int32) {
        let host = hostName(), pid = ProcessInfo.processInfo.processIdentifier
        var earliest = Int(Date().timeIntervalSince1970)
        while true {
            let existing = (try? FileManager.default.contentsOfDirectory(atPath: logdir)) ?? []
            let name = fileName(existing: existing, now: earliest, host: host, pid: pid)
            let path = (logdir as NSString).appendingPathComponent(name)
            let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0o644)
            if descriptor >= 0 { return (path, descriptor) }
            // Another writer took the name in the meantime: the next second.
            guard errno == EEXIST else {
                throw .fileSystem(path: path, operation: "create the event file", reason: String(cString: strerror(errno)))
            }
            earliest = Int(name.dropFirst(fileNamePrefix.count).prefix { $0.isNumber })! + 1
        }
    }

    /// The host name as `gethostname` gives it (no name lookup), safe as part of a file name.
    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            .replacingOccurrences(of: "/", with: "_")
        return name.isEmpty ? "localhost" : name
    }
}
