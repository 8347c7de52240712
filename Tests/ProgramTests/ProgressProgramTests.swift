import Foundation
import Testing

/// The progress display: plain lines into a pipe, a live line on a terminal, nothing when quiet.
struct ProgressProgramTests {
    static let trainArguments = [
        "--data", Programs.fixture("multilingual.txt"), "--layers", "1", "--hidden-size", "16", "--batch-size", "4",
        "--seq-length", "16", "--val-fraction", "0.2", "--max-iterations", "40", "--eval-every", "20", "--print-every", "10",
        "--sample-every", "0", "--threads", "1",
    ]

    /// Runs a program on a pseudo-terminal (Python's pty module) of `columns` (0: the pty's own
    /// size) and returns all it wrote there.
    static func onTerminal(_ program: String, _ arguments: [String], columns: Int = 0) throws -> (status: Int32, output: String) {
        let script = """
            import fcntl, os, pty, struct, sys, termios
            pid, fd = pty.fork()
            if pid == 0:
                if int(sys.argv[1]) > 0:
                    fcntl.ioctl(1, termios.TIOCSWINSZ, struct.pack('HHHH', 24, int(sys.argv[1]), 0, 0))
                os.execv(sys.argv[2], sys.argv[2:])
            out = b''
            while True:
                try:
                    data = os.read(fd, 65536)
                except OSError:
                    break
                if not data:
                    break
                out += data
            _, status = os.waitpid(pid, 0)
            sys.stdout.buffer.write(out)
            sys.exit(os.waitstatus_to_exitcode(status))
            """
        let result = try Programs.runPython(["-c", script, String(columns), Programs.binaries.appendingPathComponent(program).path] + arguments)
        return (result.status, result.output)
    }

    @Test func plainLinesIntoAPipe() throws {
        let folder = try Programs.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try Programs.run("rnn-train", Self.trainArguments + ["--checkpoint-dir", folder.path])
        #expect(result.status == 0, "\(result.errors)")
        let progress = result.output.split(separator: "\n").filter { $0.hasPrefix("iter ") }
        #expect(progress.map { $0.split(separator: " ")[1] } == ["1/40", "10/40", "20/40", "30/40", "40/40"])
        #expect(!result.output.contains("\r") && !result.output.contains("\u{1B}"), "no terminal control characters in a pipe")

        // Scoring and activations off a terminal: plain lines every RNN_PROGRESS_SECONDS (10 by
        // default, too long for these texts to show one; 0 here shows every update).
        let checkpoint = folder.appendingPathComponent("latest.h5").path
        let quiet = try Programs.run("rnn-play", [checkpoint, "--score", Programs.fixture("multilingual.txt")])
        #expect(quiet.status == 0 && quiet.errors.isEmpty, "\(quiet.errors)")
        let scored = try Programs.run("rnn-play", [checkpoint, "--score", Programs.fixture("multilingual.txt")], environment: ["RNN_PROGRESS_SECONDS": "0"])
        #expect(scored.status == 0)
        let lines = scored.errors.split(separator: "\n")
        #expect(!lines.isEmpty && lines.allSatisfy { $0.hasPrefix("scoring ") && $0.contains(" characters") }, "\(scored.errors)")
        #expect(!scored.errors.contains("\r") && !scored.errors.contains("\u{1B}"))
        let probed = try Programs.run("rnn-inspect", ["activations", checkpoint, "--file", Programs.fixture("multilingual.txt"), "--top", "2", "--feature", "line-position"],
                                      environment: ["RNN_PROGRESS_SECONDS": "0"])
        #expect(probed.status == 0, "\(probed.errors)")
        #expect(probed.errors.split(separator: "\n").contains { $0.contains("%") && $0.contains(" characters") }, "\(probed.errors)")
    }

    @Test func aLiveLineOnATerminal() throws {
        let folder = try Programs.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (status, output) = try Self.onTerminal("rnn-train", Self.trainArguments + ["--checkpoint-dir", folder.path])
        #expect(status == 0, "\(output)")
        #expect(output.contains("\r") && output.contains("\u{1B}[K"), "the live line is redrawn in place")
        #expect(output.contains("iter 40/40") && output.contains("ETA") && output.contains("chars/s"))
        #expect(output.contains("epoch ") && output.contains("["), "epoch progress with a bar")
        #expect(!output.contains("\niter "), "no plain progress lines on a terminal")
        // Messages stay on lines of their own.
        #expect(output.contains("validation at iteration 20: loss"))
        #expect(output.contains("\r\u{1B}[Kdone: 40 iterations") || output.contains("\ndone: 40 iterations"))

        // Scoring shows its progress the same way (on standard error, here the same terminal).
        let checkpoint = folder.appendingPathComponent("latest.h5").path
        let (scoreStatus, scoreOutput) = try Self.onTerminal("rnn-play", [checkpoint, "--score", Programs.fixture("multilingual.txt")])
        #expect(scoreStatus == 0, "\(scoreOutput)")
        #expect(scoreOutput.contains("scoring ") && scoreOutput.contains("100%"))
        #expect(scoreOutput.contains("nats/char"))
    }

    /// The live line's states as drawn, with the terminal's control sequences removed.
    static func liveFrames(_ output: String) -> [String] {
        output.replacingOccurrences(of: "\u{1B}[K", with: "").components(separatedBy: CharacterSet(charactersIn: "\r\n"))
            .filter { $0.contains(" chars/s") }
    }

    /// The first word of each field ("123,456 chars/s" counts as "chars/s").
    static func fields(_ frame: String) -> [String] {
        frame.components(separatedBy: "  ").map { $0.hasSuffix(" chars/s") ? "chars/s" : String($0.split(separator: " ")[0]) }
    }

    @Test(arguments: [
        (80, ["epoch", "iter", "loss", "val", "chars/s", "ETA"]),
        (60, ["iter", "loss", "chars/s", "ETA"]),
    ])
    func theLiveLineFitsNarrowTerminals(_ columns: Int, _ lastFields: [String]) throws {
        let folder = try Programs.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (status, output) = try Self.onTerminal("rnn-train", Self.trainArguments + ["--checkpoint-dir", folder.path], columns: columns)
        #expect(status == 0, "\(output)")
        let frames = Self.liveFrames(output)
        #expect(!frames.isEmpty, "\(output)")
        for frame in frames { #expect(frame.count < columns, "wider than \(columns) columns: \(frame)") }
        // The bar gives way first, then the validation loss and the epoch; ETA is never cut.
        let last = try #require(frames.last)
        #expect(Self.fields(last) == lastFields, "\(last)")
        #expect(last.hasPrefix(columns == 80 ? "epoch " : "iter 40/40  loss ") && last.hasSuffix("  ETA 0s"), "\(last)")
        #expect(!last.contains("["), "no room for the bar: \(last)")
    }

    @Test func theETAHeedsTheTimeLimit() throws {
        let folder = try Programs.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // 700,000 planned iterations would take minutes; the time limit stops the run after 1.2 s.
        let result = try Programs.run("rnn-train", [
            "--data", Programs.fixture("multilingual.txt"), "--layers", "1", "--hidden-size", "16", "--batch-size", "4",
            "--seq-length", "16", "--val-fraction", "0.2", "--epochs", "100000", "--time-limit", "0.02", "--eval-every", "20",
            "--print-every", "100", "--sample-every", "0", "--threads", "1", "--checkpoint-dir", folder.path,
        ])
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.output.contains("700,000 iterations") && result.output.contains("time limit of 1s reached"), "\(result.output)")
        let etas = result.output.split(separator: "\n").filter { $0.hasPrefix("iter ") }.map { $0.components(separatedBy: "ETA ").last! }
        #expect(etas.count >= 2, "\(result.output)")
        for eta in etas { #expect(eta == "0s" || eta == "1s", "ETA \(eta) beyond the 1.2 s time limit") }
    }

    @Test func quietPrintsNothing() throws {
        let folder = try Programs.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try Programs.run("rnn-train", Self.trainArguments + ["--checkpoint-dir", folder.path, "--quiet"])
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.output.isEmpty, "\(result.output)")
        #expect(result.errors.isEmpty)
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("latest.h5").path))
    }
}
