import Foundation

/// A write that failed (a full disk, a closed descriptor), naming where the text was going.
public struct OutputError: Swift.Error, CustomStringConvertible {
    public let description: String
}

/// Output for generated text: flushed after every character on a terminal, after every line (or
/// 4 KiB) when writing to a pipe or file. The first write error is kept (later writes are
/// dropped) and thrown by `finish()`, so that generating code need not handle it per character.
public final class StreamingOutput {
    private var pending: [UInt8] = []
    private let interactive: Bool
    private let handle: FileHandle
    private let name: String
    private var endsLine = true
    private var failure: OutputError?

    /// `name` is what messages call the destination: a file's path, or "standard output".
    public init(handle: FileHandle = .standardOutput, name: String = "standard output") {
        self.handle = handle
        self.name = name
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
    public func finish() throws(OutputError) {
        if interactive && !endsLine { write([0x0A]) }
        flush()
        if let failure { throw failure }
    }

    public func flush() {
        guard !pending.isEmpty, failure == nil else { return pending.removeAll(keepingCapacity: true) }
        if let code = pending.withUnsafeBytes({ Console.writeAll(handle.fileDescriptor, $0) }) {
            failure = OutputError(description: "\(name): cannot write: \(String(cString: strerror(code)))")
        }
        pending.removeAll(keepingCapacity: true)
    }

    deinit { flush() }
}
