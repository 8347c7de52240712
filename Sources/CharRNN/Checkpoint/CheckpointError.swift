/// Why a checkpoint could not be read or written, as one line that names the file.
public enum CheckpointError: Swift.Error, CustomStringConvertible, Sendable {
    /// The file system refused (missing file, permissions, full disk...).
    case fileSystem(path: String, operation: String, reason: String)
    /// libhdf5 failed on a file that looked sound so far.
    case hdf5(HDF5Error)
    /// Not an HDF5 file, or not one of ours.
    case notACheckpoint(path: String, reason: String)
    case newerVersion(path: String, version: Int64)
    /// An object is missing, of the wrong kind, type or shape, or holds impossible values.
    case invalid(path: String, object: String, problem: String)
    case notResumable(path: String)

    public var description: String {
        switch self {
        case .fileSystem(let path, let operation, let reason):
            return "\(path): cannot \(operation): \(reason)"
        case .hdf5(let error):
            return error.description
        case .notACheckpoint(let path, let reason):
            return "\(path): not a checkpoint: \(reason)"
        case .newerVersion(let path, let version):
            return "\(path): written by a newer version (checkpoint format \(version); this program reads format \(Checkpoint.formatVersion)); update the program"
        case .invalid(let path, let object, let problem):
            return "\(path): \(object): \(problem)"
        case .notResumable(let path):
            return "\(path): holds a model only, without the training state needed to resume (use --init-from to fine-tune it)"
        }
    }
}
