import ArgumentParser
import CharRNN
import Foundation

/// Output helpers shared by the programs: unbuffered writes, one-line errors, number formats.
public enum Console {
    /// The first failed write to standard output (a full disk, a closed descriptor). Later
    /// output is dropped, and `failingCleanly` reports it as the program's error at the end, so
    /// that nothing is lost silently and no write can crash the program.
    nonisolated(unsafe) private static var outputFailure: String?

    /// Writes all of `bytes` to `descriptor`; returns errno when that fails.
    public static func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32? {
        var offset = 0
        while offset < bytes.count {
            let n = Foundation.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return n < 0 ? errno : ENOSPC }
            offset += n
        }
        return nil
    }

    /// Writes to standard output at once (progress and generated text are streamed).
    public static func write(_ text: String) {
        var text = text
        text.withUTF8 { writeOutput(UnsafeRawBufferPointer($0)) }
    }

    public static func writeLine(_ text: String = "") { write(text + "\n") }

    public static func writeBytes(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { writeOutput($0) }
    }

    private static func writeOutput(_ bytes: UnsafeRawBufferPointer) {
        guard outputFailure == nil, let code = writeAll(STDOUT_FILENO, bytes) else { return }
        outputFailure = "standard output: cannot write: \(String(cString: strerror(code)))"
    }

    /// Writes to standard error (where a failure has nowhere to be reported).
    public static func writeError(_ text: String) {
        var text = text
        _ = text.withUTF8 { writeAll(STDERR_FILENO, UnsafeRawBufferPointer($0)) }
    }

    /// Writes one line to standard error, prefixed with the program's name.
    public static func error(_ program: String, _ message: String) {
        writeError("\(program): error: \(message)\n")
    }

    public static func warning(_ program: String, _ message: String) {
        writeError("\(program): warning: \(message)\n")
    }

    /// For commands that end outside `failingCleanly`: output that could not be written is one
    /// error line and `status`.
    public static func checkOutput(_ program: String, status: ExitCode = .failure) throws {
        guard let outputFailure else { return }
        Console.error(program, outputFailure)
        throw status
    }

    /// Runs the body; any error that is not the argument parser's own becomes one line on
    /// standard error and exit status 1, and so does output that could not be written.
    public static func failingCleanly(_ program: String, _ body: () throws -> Void) throws {
        // Past a file-size limit, writes should fail with EFBIG and be reported like a full disk,
        // not kill the process with SIGXFSZ.
        signal(SIGXFSZ, SIG_IGN)
        do {
            try body()
        } catch let exit as ExitCode {
            guard let outputFailure else { throw exit }
            Console.error(program, outputFailure)
            throw exit == .success ? ExitCode.failure : exit
        } catch let error as ValidationError {
            throw error
        } catch {
            Console.error(program, String(describing: error))
            throw ExitCode.failure
        }
        if let outputFailure {
            Console.error(program, outputFailure)
            throw ExitCode.failure
        }
    }

    /// 1234567 -> "1,234,567"
    public static func grouped(_ n: Int) -> String { Format.grouped(n) }

    /// 433359 -> "433k", 12345678 -> "12M"; below 10,000 as `grouped`.
    public static func compact(_ n: Int) -> String {
        let size = n.magnitude
        if size < 10_000 { return grouped(n) }
        return size < 10_000_000 ? "\(n / 1000)k" : "\(n / 1_000_000)M"
    }

    /// Seconds as "42s", "3m07s" or "2h05m".
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite && seconds >= 0 else { return "-" }
        let s = Int(seconds.rounded())
        if s < 60 { return "\(s)s" }
        if s < 3600 { return String(format: "%dm%02ds", s / 60, s % 60) }
        return String(format: "%dh%02dm", s / 3600, (s % 3600) / 60)
    }

    public static func fixed(_ x: Double, _ digits: Int = 4) -> String {
        x.isFinite ? String(format: "%.\(digits)f", x) : "-"
    }
}
