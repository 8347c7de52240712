import Foundation

/// Output for generated text: flushed after every character on a terminal, after every line (or
/// 4 KiB) when writing to a pipe or file.
public final class StreamingOutput {
    private var pending: [UInt8] = []
    private let interactive: Bool
    private let handle: FileHandle
    private var endsLine = true

    public init(handle: FileHandle = .standardOutput) {
        self.handle = handle
        interactive = isatty(handle.fileDescriptor) != 0
        pending.reserveCapacity(4096)
    }

    public func write(_ bytes: [UInt8]) {
        guard let last = bytes.last else { return }
        endsLine = last == 0x0A
        pending.append(contentsOf: bytes)
        if interactive || bytes.contains(0x0A) || pending.count >= 4096 { flush() }
    }

    /// Flushes; on a terminal first ends an unfinished line, so that the prompt starts on a line of
    /// its own. A file or pipe gets nothing added: it holds exactly what was written.
    public func finish() {
        if interactive && !endsLine { write([0x0A]) }
        flush()
    }

    public func flush() {
        guard !pending.isEmpty else { return }
        handle.write(Data(pending))
        pending.removeAll(keepingCapacity: true)
    }

    deinit { flush() }
}
