import Foundation
import Testing

@testable import CharRNN

/// Bad training input, a full disk, two trainers on one folder, reading while training, and
/// divergence: one clear line, no crash, nothing lost.
@Suite(.serialized)
struct HardeningProgramTests {
    static func train(_ arguments: [String]) throws -> ProgramResult {
        try Programs.run("rnn-train", arguments + ["--sample-every", "0", "--threads", "1"])
    }

    /// The program failed with status 1 and exactly one line on standard error containing `message`.
    static func expectOneLineFailure(_ result: ProgramResult, _ message: String, _ label: String) {
        #expect(result.status == 1, "\(label): status \(result.status)")
        #expect(!result.signaled, "\(label): killed by a signal")
        #expect(result.errors.contains(message), "\(label): \(result.errors)")
        #expect(result.errors.split(separator: "\n").count == 1, "\(label): not one line: \(result.errors)")
    }

    @Test func badTrainingInputGivesOneClearLine() throws {
        let folder = try Programs.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        func file(_ name: String, _ bytes: [UInt8]) throws -> String {
            let url = folder.appendingPathComponent(name)
            try Data(bytes).write(to: url)
            return url.path
        }
        let empty = try file("empty.txt", [])
        let invalid = try file("latin1.txt", Array("caf".utf8) + [0xE9] + Array(" au lait".utf8))
        let binary = try file("image.png", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D])
        let short = try file("short.txt", Array(String(repeating: "abcde", count: 100).utf8))
        _ = try file("tiny.txt", Array("abcd".utf8))
        let single = try file("single.txt", Array(String(repeating: "z", count: 5000).utf8))
        let emptyFolder = folder.appendingPathComponent("nothing")
        try FileManager.default.createDirectory(at: emptyFolder, withIntermediateDirectories: true)
        try Data("hidden".utf8).write(to: emptyFolder.appendingPathComponent(".notes"))

        let cases: [([String], String, String)] = [
            (["--data", folder.appendingPathComponent("absent.txt").path], "absent.txt: no such file or folder", "missing path"),
            (["--data", empty], "empty.txt: the text is empty", "empty file"),
            (["--data", emptyFolder.path], "nothing: the folder holds no text files", "folder without text files"),
            (["--data", "/proc/self/mem"], "/proc/self/mem: cannot read:", "unreadable file"),
            (["--data", invalid], "latin1.txt: invalid UTF-8 at byte offset 3 (use --bytes to train on raw bytes)", "invalid UTF-8"),
            (["--data", binary], "image.png: looks like a binary file (NUL byte at offset 8); use --bytes", "binary file"),
            (["--data", short, "--val-fraction", "0"],
             "short.txt: the training text is too short: 500 tokens, at least 2501 needed (batch size 50 x sequence length 50 + 1; or lower --batch-size or --seq-length)",
             "too short"),
            (["--data", short, "--val-fraction", "0", "--batch-size", "10", "--seq-length", "60"],
             "short.txt: the training text is too short: 500 tokens, at least 601 needed (batch size 10 x sequence length 60 + 1;", "too short for other sizes"),
            // The default hold-out of 5% leaves 475 of 500 tokens; 2,632 tokens would leave 2,501.
            (["--data", short],
             "short.txt: the training text is too short: 475 tokens, at least 2501 needed (batch size 50 x sequence length 50 + 1; with 5% held out for validation the text needs 2632 tokens;",
             "too short with the validation hold-out"),
            (["--data", short, "--batch-size", "2", "--seq-length", "40", "--val-fraction", "0.05"],
             "the last 5% of \(short): the validation text is too short: 25 tokens, at least 41 needed (sequence length 40 + 1; raise --val-fraction, give --val-data, or set --val-fraction 0)",
             "held-out validation text too short"),
            (["--data", short, "--batch-size", "2", "--seq-length", "40", "--val-data", invalid.replacingOccurrences(of: "latin1", with: "tiny")],
             "tiny.txt: the validation text is too short: 4 tokens, at least 41 needed (sequence length 40 + 1; give a longer --val-data, or lower --seq-length)",
             "validation file too short"),
            (["--data", single], "single.txt: the text consists of one distinct character (z)", "one distinct character"),
            (["--data", short, "--val-data", empty], "empty.txt: the text is empty", "empty validation file"),
        ]
        for (arguments, message, label) in cases {
            Self.expectOneLineFailure(try Self.train(arguments + ["--checkpoint-dir", folder.appendingPathComponent("ck").path]), message, label)
        }
        // Binary input is fine as bytes (a short run to show it trains).
        let bytes = try file("bytes.bin", (0..<6000).map { UInt8(truncatingIfNeeded: $0 * 7) })
        let asBytes = try Self.train(["--data", bytes, "--bytes", "--max-iterations", "2", "--layers", "1", "--hidden-size", "8",
                                      "--checkpoint-dir", folder.appendingPathComponent("bytes").path])
        #expect(asBytes.status == 0, "\(asBytes.errors)")
        #expect(asBytes.output.contains("vocabulary 256 bytes"))
    }

    @Test func veryLargeVocabularies() throws {
        let folder = try Programs.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // More distinct characters than any vocabulary may hold.
        var scalars = String.UnicodeScalarView()
        var value: UInt32 = 0x21, count = 0
        while count <= Corpus.maximumVocabularySize {
            if let scalar = Unicode.Scalar(value) {
                scalars.append(scalar)
                count += 1
            }
            value += 1
        }
        let huge = folder.appendingPathComponent("huge.txt")
        try String(scalars).write(to: huge, atomically: true, encoding: .utf8)
        Self.expectOneLineFailure(
            try Self.train(["--data", huge.path, "--checkpoint-dir", folder.appendingPathComponent("a").path]),
            "the text has 1048577 distinct characters, more than the limit of 1048576", "vocabulary above the limit")
        // Some 5,000 distinct CJK characters train, stored two bytes a token.
        let cjk = String(String.UnicodeScalarView((0..<60_000).map { Unicode.Scalar(UInt32(0x4E00 + ($0 * 7919) % 5000))! }))
        let wide = folder.appendingPathComponent("cjk.txt")
        try cjk.write(to: wide, atomically: true, encoding: .utf8)
        let corpus = try Corpus.load(CorpusOptions(trainingPaths: [wide.path]))
        #expect(corpus.vocabulary.count == 5000 && corpus.training.bytesPerToken == 2)
        let result = try Self.train(["--data", wide.path, "--max-iterations", "2", "--layers", "1", "--hidden-size", "16",
                                     "--checkpoint-dir", folder.appendingPathComponent("b").path])
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.output.contains("vocabulary 5000 characters"))
    }

    /// Saving past a file-size limit (a full disk as the program sees it: writes fail with EFBIG)
    /// warns, keeps training and retries at each checkpoint; the final save fails with one line;
    /// the previous checkpoint is untouched and no temporary file is left.
    @Test func fullDiskLeavesThePreviousCheckpointIntact() throws {
        let folder = try Programs.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let first = try Self.train([
            "--data", Programs.fixture("multilingual.txt"), "--layers", "2", "--hidden-size", "64", "--batch-size", "4",
            "--seq-length", "16", "--val-fraction", "0", "--max-iterations", "4", "--checkpoint-dir", folder.path,
        ])
        #expect(first.status == 0, "\(first.errors)")
        let latest = folder.appendingPathComponent("latest.h5").path
        let before = try Data(contentsOf: URL(fileURLWithPath: latest))
        // bash counts ulimit -f in 1024-byte blocks: half the checkpoint's size.
        let blocks = before.count / 2048
        let limited = try Programs.run("/bin/bash", [
            "-c", "ulimit -f \(blocks); exec \"$0\" \"$@\"", Programs.binaries.appendingPathComponent("rnn-train").path,
            "--resume", latest, "--max-iterations", "10", "--checkpoint-every", "2", "--sample-every", "0", "--threads", "1",
        ])
        #expect(!limited.signaled, "killed by a signal: \(limited.errors)")
        #expect(limited.status == 1)
        let lines = limited.errors.split(separator: "\n")
        #expect(lines.filter { $0.hasPrefix("rnn-train: warning:") && $0.contains("the disk is full or the file-size limit is reached (File too large)") }.count == 2,
                "a warning at iterations 6 and 8; the save at the end (10) is only the final one: \(limited.errors)")
        #expect(lines.count == 3, "two warnings and one error: \(limited.errors)")
        #expect(lines.last?.hasPrefix("rnn-train: error:") == true && lines.last!.contains("the previous checkpoint is untouched"))
        #expect(limited.output.contains("iter 10/10"), "training went on to the end")
        #expect(try Data(contentsOf: URL(fileURLWithPath: latest)) == before)
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        #expect(!names.contains { $0.hasPrefix(Checkpoint.temporaryPrefix) }, "temporary files left: \(names)")
        #expect(try Checkpoint.read(from: latest).training?.progress.iteration == 4)
    }

    /// Standard output that cannot be written (here a descriptor open only for reading; a full
    /// disk fails the same way): every program reports it in one line and exits 1 instead of
    /// crashing in a write, and rnn-train still trains and saves. A file the inspector writes
    /// past a file-size limit is reported with the system's reason.
    @Test func unwritableStandardOutputIsOneErrorLine() throws {
        let folder = try Programs.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let source = folder.appendingPathComponent("readonly.txt").path
        FileManager.default.createFile(atPath: source, contents: Data())
        func unwritable(_ program: String, _ arguments: [String], shell: String = "exec \"$0\" \"$@\" 1< \(source)") throws -> ProgramResult {
            try Programs.run("/bin/bash", ["-c", shell, Programs.binaries.appendingPathComponent(program).path] + arguments)
        }
        let ck = folder.appendingPathComponent("ck")
        let trained = try unwritable("rnn-train", [
            "--data", Programs.fixture("fizzbuzz.txt"), "--layers", "1", "--hidden-size", "8", "--batch-size", "4",
            "--seq-length", "16", "--max-iterations", "3", "--threads", "1", "--checkpoint-dir", ck.path,
        ])
        Self.expectOneLineFailure(trained, "rnn-train: error: standard output: cannot write: Bad file descriptor", "rnn-train")
        let latest = ck.appendingPathComponent("latest.h5").path
        #expect(try Checkpoint.read(from: latest).training?.progress.iteration == 3, "training went on and saved")
        // A real error after the output failed is the one reported.
        let diverged = try unwritable("rnn-train", [
            "--data", Programs.fixture("fizzbuzz.txt"), "--layers", "1", "--hidden-size", "8", "--batch-size", "4", "--seq-length", "16",
            "--optimizer", "sgd", "--learning-rate", "1e30", "--grad-clip", "0", "--max-iterations", "20", "--threads", "1",
            "--checkpoint-dir", folder.appendingPathComponent("diverged").path,
        ])
        Self.expectOneLineFailure(diverged, "training diverged at iteration", "divergence with unwritable output")
        for arguments in [[latest], [latest, "--tensors", "--json"], ["verify", latest]] {
            Self.expectOneLineFailure(try unwritable("rnn-inspect", arguments), "rnn-inspect: error: standard output: cannot write: Bad file descriptor", "\(arguments)")
        }
        // diff's trouble status is 2 (1 means "different").
        let diff = try unwritable("rnn-inspect", ["diff", latest, latest])
        #expect(diff.status == 2 && diff.errors == "rnn-inspect: error: standard output: cannot write: Bad file descriptor\n", "\(diff.errors)")
        let export = folder.appendingPathComponent("decoder.csv").path
        Self.expectOneLineFailure(try unwritable("rnn-inspect", [latest, "--export", "decoder.weight", "--to", export], shell: "ulimit -f 0; exec \"$0\" \"$@\""),
                                  "rnn-inspect: error: \(export): cannot write: File too large", "export")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix(".") }.isEmpty, "no temporary file left")
    }

    @Test func aSecondTrainerOnTheSameFolderIsRefusedUntilTheFirstIsGone() throws {
        let folder = try Programs.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let arguments = [
            "--data", Programs.fixture("multilingual.txt"), "--layers", "1", "--hidden-size", "16", "--batch-size", "4",
            "--seq-length", "16", "--val-fraction", "0", "--max-iterations", "100000000", "--epochs", "100000000",
            "--checkpoint-every", "1", "--checkpoint-dir", folder.path, "--sample-every", "0", "--threads", "1",
        ]
        let first = try Programs.start("rnn-train", arguments)
        defer { if first.isRunning { kill(first.processIdentifier, SIGKILL); first.waitUntilExit() } }
        let latest = folder.appendingPathComponent("latest.h5").path
        for _ in 0..<200 where !FileManager.default.fileExists(atPath: latest) { usleep(20_000) }
        #expect(FileManager.default.fileExists(atPath: latest))
        Self.expectOneLineFailure(try Programs.run("rnn-train", arguments),
                                  "another rnn-train (pid \(first.processIdentifier)) is writing checkpoints into it", "second trainer")

        // While it replaces latest.h5 every iteration, a reader always sees a complete file.
        for _ in 0..<25 {
            let played = try Programs.run("rnn-play", [latest, "--length", "3", "--seed", "1"])
            #expect(played.status == 0, "\(played.errors)")
        }

        // A trainer killed outright leaves no stuck lock.
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        let again = try Programs.run("rnn-train", ["--resume", latest, "--max-iterations", "0"].dropLast(2) + [
            "--max-iterations", String(try Checkpoint.read(from: latest).training!.progress.iteration + 1), "--sample-every", "0",
        ])
        #expect(again.status == 0, "\(again.errors)")
    }

    @Test func divergenceStopsWithARemedyAndKeepsTheLastGoodCheckpoint() throws {
        let folder = try Programs.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try Self.train([
            "--data", Programs.fixture("multilingual.txt"), "--layers", "1", "--hidden-size", "32", "--batch-size", "4",
            "--seq-length", "16", "--val-fraction", "0", "--optimizer", "sgd", "--learning-rate", "5000", "--grad-clip", "0",
            "--max-iterations", "50", "--checkpoint-every", "1", "--checkpoint-dir", folder.path,
        ])
        Self.expectOneLineFailure(result, "training diverged at iteration", "divergence")
        #expect(result.errors.contains("try a lower --learning-rate or a smaller --grad-clip"))
        let latest = try Checkpoint.read(from: folder.appendingPathComponent("latest.h5").path)
        let diverged = Int(result.errors.split(separator: " ").first { Int($0.dropLast()) != nil }!.dropLast())!
        #expect(latest.training!.progress.iteration == diverged - 1, "the last good checkpoint is the one before")
    }
}
