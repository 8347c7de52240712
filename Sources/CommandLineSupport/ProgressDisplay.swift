import Foundation

/// Progress for people and for logs: on a terminal one live line redrawn in place (at most ten
/// times a second, fitted to the terminal's width so that it never wraps); elsewhere plain lines,
/// printed when the caller says; with `--quiet`, nothing. Permanent messages (a validation loss,
/// a saved checkpoint) go above the live line.
public final class ProgressDisplay {
    public enum Mode: Sendable { case live, lines, quiet }

    public let mode: Mode
    private let descriptor: Int32
    private var shown = ""
    private var lastDraw: UInt64 = 0

    /// `standardError` for programs whose standard output carries their results.
    public init(quiet: Bool, standardError: Bool = false) {
        descriptor = standardError ? STDERR_FILENO : STDOUT_FILENO
        mode = quiet ? .quiet : (isatty(descriptor) != 0 ? .live : .lines)
    }

    private func write(_ text: String) {
        if descriptor == STDOUT_FILENO { Console.write(text) } else { Console.writeError(text) }
    }

    /// The terminal's width in columns (80 when unknown).
    private var columns: Int {
        var size = winsize()
        if ioctl(descriptor, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        return 80
    }

    /// Live mode: redraws the line (throttled unless `force`). Lines mode: prints it when `due`.
    public func update(_ line: String, due: Bool, force: Bool = false) {
        update(ProgressLine(line), due: due, force: force)
    }

    /// As `update(_:due:force:)`; on a terminal the line's parts give way to fit its width, and
    /// elsewhere the full line is printed.
    public func update(_ line: ProgressLine, due: Bool, force: Bool = false) {
        switch mode {
        case .quiet:
            return
        case .lines:
            if due || force { write(line.full + "\n") }
        case .live:
            let now = DispatchTime.now().uptimeNanoseconds
            guard force || now - lastDraw >= 100_000_000 else { return }
            lastDraw = now
            // One column short of the edge: a full last column makes some terminals wrap.
            shown = line.fitted(to: max(10, columns - 1))
            write("\r" + shown + "\u{1B}[K")
        }
    }

    /// For long operations with no natural points to report at (scoring, activations): the live
    /// line on a terminal, elsewhere a plain line every `periodSeconds` (10, or the environment's
    /// RNN_PROGRESS_SECONDS), so that logs show the work going on.
    public func updatePeriodically(_ line: String) {
        let now = DispatchTime.now().uptimeNanoseconds
        if lastPeriodicLine == 0 { lastPeriodicLine = now }
        let due = Double(now - lastPeriodicLine) / 1e9 >= Self.periodSeconds
        if due { lastPeriodicLine = now }
        update(ProgressLine(line), due: due)
    }

    private var lastPeriodicLine: UInt64 = 0
    static let periodSeconds = ProcessInfo.processInfo.environment["RNN_PROGRESS_SECONDS"].flatMap(Double.init) ?? 10

    /// A line that stays: printed above the live line (which is drawn again after it).
    public func message(_ text: String) {
        switch mode {
        case .quiet:
            return
        case .lines:
            write(text + "\n")
        case .live:
            write("\r\u{1B}[K" + text + "\n" + shown)
        }
    }

    /// Ends the live line (the last state stays visible).
    public func finish() {
        if mode == .live && !shown.isEmpty {
            write("\n")
            shown = ""
        }
    }

    /// Seconds to do `work` at `rate` per second, or to reach `deadline` (when the run is stopped)
    /// if that comes first.
    public static func secondsLeft(work: Double, rate: Double, deadline: Date?, now: Date = Date()) -> Double {
        let planned = work / max(rate, 1e-9)
        guard let deadline else { return planned }
        return min(planned, max(0, deadline.timeIntervalSince(now)))
    }

    /// A text bar of `width` cells for a fraction in [0, 1].
    public static func bar(_ fraction: Double, width: Int = 20) -> String {
        let filled = Int((min(max(fraction, 0), 1) * Double(width)).rounded(.down))
        return "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "]"
    }
}
