import Foundation

/// Standard output for generated text: flushed after every character on a terminal, after every
/// line (or 4 KiB) when writing to a pipe or file.
public final class StreamingOutput {
    private var pending: [UInt8] = []
    private let interactive = isatty(STDOUT_FILENO) != 0
    private let handle: FileHandle

    public init(handle: FileHandle = .standardOutput) {
        self.handle = handle
        pending.reserveCapacity(4096)
    }

    public func write(_ bytes: [UInt8]) {
        pending.append(contentsOf: bytes)
        if interactive || bytes.contains(0x0A) || pending.count >= 4096 { flush() }
    }

    public func flush() {
        guard !pending.isEmpty else { return }
        handle.write(Data(pending))
        pending.removeAll(keepingCapacity: true)
    }

    deinit { flush() }
}
