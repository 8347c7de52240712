import Foundation

/// Writes one TensorBoard event file in a log folder: scalars and text, each at a step.
///
/// Records are buffered and written out by `flush()`, by `close()`, and by any call made
/// `flushInterval` seconds or more after the last write-out (there is no timer thread), so that
/// `tensorboard --logdir` follows a run as it goes. A failed write throws and loses only the
/// records buffered since the last write-out: the file is cut back to its last whole record, so it
/// stays readable, and later calls try again. Nothing here traps on a file-system error.
///
/// Every writer makes a new file, named to sort after the files already in the folder (the order
/// TensorBoard reads them in), and starts it with a `SessionLog START` event at the first step it
/// will log: step 0 for a new run, the checkpoint's step + 1 for a resumed one. TensorBoard then
/// drops what earlier files logged from that step on (a run that went on past the checkpoint it is
/// resumed from, or an earlier run in the same folder), so no step appears twice. A new run writes
/// its START too because TensorBoard's server ignores the first one it reads, taking it for the
/// start of the run: a resumed run's START purges only after an earlier one. See docs/tensorboard.md.
public final class TensorBoardWriter {
    /// The event file this writer appends to.
    public let path: String
    public let flushInterval: Double
    /// Internal so that tests can stand a full disk in for the file.
    var descriptor: Int32
    private var pending: [UInt8] = []
    private var lastWriteOut: UInt64
    /// Bytes of whole records in the file: a write that fails half-way is cut back to this.
    private var committedLength: Int64 = 0

    /// Creates the log folder if needed and a new event file in it, named as TensorFlow names them
    /// (`events.out.tfevents.<unix seconds>.<host>.<pid>`).
    ///
    /// - Parameters:
    ///   - resumingAt: the iteration of the checkpoint a resumed run starts from: what earlier
    ///     files logged after it is hidden from TensorBoard. Nil for a new run, which hides all
    ///     that earlier files logged.
    ///   - flushInterval: the longest time, in seconds, records wait in memory while calls keep
    ///     coming; 0 writes every record at once.
    public init(logdir: String, resumingAt step: Int? = nil, flushInterval: Double = 10) throws(TensorBoardError) {
        if let reason = FileSystem.createFolders(logdir) {
            throw .fileSystem(path: logdir, operation: "create the log folder", reason: reason)
        }
        (path, descriptor) = try Self.createEventFile(in: logdir)
        self.flushInterval = flushInterval
        lastWriteOut = DispatchTime.now().uptimeNanoseconds
        append(.fileVersion, step: 0)
        append(.sessionStart, step: (step ?? -1) + 1)
        do {
            try flush()
        } catch {
            // Leave no empty file behind.
            _ = closeDescriptor(descriptor)
            unlink(path)
            descriptor = -1
            throw error
        }
    }

    deinit {
        guard descriptor >= 0 else { return }
        try? flush()
        _ = closeDescriptor(descriptor)
    }

    /// Logs a number, shown in TensorBoard's scalars dashboard; stored as a 32-bit float.
    public func scalar(_ tag: String, _ value: Double, step: Int) throws(TensorBoardError) {
        try record(.scalar(tag: tag, value: Float(value)), step: step)
    }

    /// Logs a text, shown in TensorBoard's text dashboard, which renders it as Markdown.
    public func text(_ tag: String, _ value: String, step: Int) throws(TensorBoardError) {
        try record(.text(tag: tag, value: value), step: step)
    }

    /// Writes out the buffered records (to the operating system: they survive a crash of the
    /// program, not of the machine).
    public func flush() throws(TensorBoardError) {
        guard descriptor >= 0 else { throw .closed(path: path) }
        lastWriteOut = DispatchTime.now().uptimeNanoseconds
        guard !pending.isEmpty else { return }
        defer { pending.removeAll(keepingCapacity: true) }
        var written = 0
        let failure: Int32? = pending.withUnsafeBytes { buffer in
            while written < buffer.count {
                let count = write(descriptor, buffer.baseAddress! + written, buffer.count - written)
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { return count < 0 ? errno : EIO }
                written += count
            }
            return nil
        }
        if let failure {
            // A partial record would end the file for every reader.
            if written > 0 { _ = ftruncate(descriptor, off_t(committedLength)) }
            throw .fileSystem(path: path, operation: "write", reason: String(cString: strerror(failure)))
        }
        committedLength += Int64(written)
    }

    /// Writes out what is buffered and closes the file; closing again does nothing.
    public func close() throws(TensorBoardError) {
        guard descriptor >= 0 else { return }
        defer { descriptor = -1 }
        var failure: TensorBoardError?
        do { try flush() } catch { failure = error }
        if closeDescriptor(descriptor) != 0, failure == nil {
            failure = .fileSystem(path: path, operation: "close", reason: String(cString: strerror(errno)))
        }
        if let failure { throw failure }
    }

    /// Bytes waiting in memory for the next write-out.
    var pendingByteCount: Int { pending.count }

    private func record(_ content: TensorBoardEvent.Content, step: Int) throws(TensorBoardError) {
        guard descriptor >= 0 else { throw .closed(path: path) }
        append(content, step: step)
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - lastWriteOut) / 1e9
        if elapsed >= flushInterval { try flush() }
    }

    private func append(_ content: TensorBoardEvent.Content, step: Int) {
        let event = TensorBoardEvent(wallTime: Date().timeIntervalSince1970, step: Int64(step), content: content)
        TFRecord.append(event.encoded, to: &pending)
    }
}

/// The C function, out of reach of the method of the same name.
private func closeDescriptor(_ descriptor: Int32) -> Int32 {
    close(descriptor)
}
