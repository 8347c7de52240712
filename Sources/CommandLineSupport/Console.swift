import ArgumentParser
import CharRNN
import Foundation

/// Output helpers shared by the programs: unbuffered writes, one-line errors, number formats.
public enum Console {
    /// Writes to standard output at once (progress and generated text are streamed).
    public static func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    public static func writeLine(_ text: String = "") { write(text + "\n") }

    public static func writeBytes(_ bytes: [UInt8]) {
        FileHandle.standardOutput.write(Data(bytes))
    }

    /// Writes one line to standard error, prefixed with the program's name.
    public static func error(_ program: String, _ message: String) {
        FileHandle.standardError.write(Data("\(program): error: \(message)\n".utf8))
    }

    public static func warning(_ program: String, _ message: String) {
        FileHandle.standardError.write(Data("\(program): warning: \(message)\n".utf8))
    }

    /// Runs the body; any error that is not the argument parser's own becomes one line on
    /// standard error and exit status 1.
    public static func failingCleanly(_ program: String, _ body: () throws -> Void) throws {
        // Past a file-size limit, writes should fail with EFBIG and be reported like a full disk,
        // not kill the process with SIGXFSZ.
        signal(SIGXFSZ, SIG_IGN)
        do {
            try body()
        } catch let exit as ExitCode {
            throw exit
        } catch let error as ValidationError {
            throw error
        } catch {
            Console.error(program, String(describing: error))
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
