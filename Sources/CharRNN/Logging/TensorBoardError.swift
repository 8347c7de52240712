/// Why an event file could not be written, as one line that names the file. Logging is a side
/// job: callers report it and train on.
public enum TensorBoardError: Swift.Error, CustomStringConvertible, Sendable, Equatable {
    /// The file system refused (a full disk, a missing or unwritable folder...).
    case fileSystem(path: String, operation: String, reason: String)
    /// The writer was used after `close()`.
    case closed(path: String)

    public var description: String {
        switch self {
        case .fileSystem(let path, let operation, let reason):
            return "\(path): cannot \(operation): \(reason)"
        case .closed(let path):
            return "\(path): the TensorBoard event file is already closed"
        }
    }
}
