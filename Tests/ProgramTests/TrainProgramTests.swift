import Foundation
import Testing

/// rnn-train as a user runs it.
struct TrainProgramTests {
    @Test func helpDescribesEveryOption() throws {
        let result = try Programs.run("rnn-train", ["--help"])
        #expect(result.status == 0)
        let options = [
            "--data", "--val-data", "--val-fraction", "--cell", "--layers", "--hidden-size", "--embedding-size",
            "--dropout", "--seq-length", "--batch-size", "--optimizer", "--learning-rate", "--lr-decay",
            "--lr-decay-after", "--grad-clip", "--clip-mode", "--epochs", "--max-iterations", "--eval-every",
            "--sample-every", "--seed", "--threads", "--bytes",
        ]
        for option in options { #expect(result.output.contains(option), "\(option) missing from --help") }
        // Every option carries a description, on its own line or on the next one.
        let lines = result.output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for (i, line) in lines.enumerated() where line.hasPrefix("  -") {
            let sameLine = line.trimmingCharacters(in: .whitespaces).contains("  ") || line.contains("> ")
            let nextLine = i + 1 < lines.count && lines[i + 1].hasPrefix("      ") && !lines[i + 1].trimmingCharacters(in: .whitespaces).hasPrefix("-")
            #expect(sameLine || nextLine, "option without help: \(line)")
        }
    }

    @Test func trainsAndReportsProgress() throws {
        let folder = try Programs.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try Programs.run("rnn-train", [
            "--checkpoint-dir", folder.path,
            "--data", Programs.fixture("fizzbuzz.txt"), "--cell", "gru", "--layers", "1", "--hidden-size", "32",
            "--batch-size", "2", "--seq-length", "20", "--max-iterations", "30", "--print-every", "10",
            "--eval-every", "15", "--sample-every", "30", "--sample-length", "40", "--val-fraction", "0.2",
        ])
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.output.contains("vocabulary 15 characters"))
        #expect(result.output.contains("iter 30/30"))
        #expect(result.output.contains("validation at iteration 15: loss"))
        #expect(result.output.contains("chars/s"))
        #expect(result.output.contains("ETA"))
        #expect(result.output.contains("---- sample at iteration 30 ----"))
        #expect(result.output.contains("done: 30 iterations"))
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("latest.h5").path))
    }

    @Test func badInputGivesOneLineAndFailure() throws {
        let folder = try Programs.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let short = folder.appendingPathComponent("short.txt")
        try "abcabc".write(to: short, atomically: true, encoding: .utf8)
        let cases: [([String], String)] = [
            (["--data", "/no/such/corpus.txt"], "/no/such/corpus.txt: no such file or folder"),
            (["--data", short.path, "--val-fraction", "0"], "short.txt: the training text is too short: 6 tokens, at least 2501 needed"),
            (["--data", Programs.fixture("fizzbuzz.txt"), "--momentum", "0.9"], "--momentum applies only to --optimizer sgd"),
            (["--data", Programs.fixture("fizzbuzz.txt"), "--batch-size", "4", "--seq-length", "16", "--checkpoint-dir", "/etc/passwd/x"],
             "/etc/passwd/x: cannot create the checkpoint folder: Not a directory"),
            (["--data", Programs.fixture("fizzbuzz.txt"), "--dropout", "1.5"], "dropout must be at least 0 and below 1"),
            (["--data", Programs.fixture("fizzbuzz.txt"), "--learning-rate=-1"], "the learning rate must be positive"),
        ]
        for (arguments, message) in cases {
            let result = try Programs.run("rnn-train", arguments)
            #expect(result.status == 1, "\(arguments)")
            #expect(!result.signaled)
            #expect(result.errors.contains(message), "\(arguments): \(result.errors)")
            #expect(result.errors.split(separator: "\n").count == 1, "one line: \(result.errors)")
        }
        let usage = try Programs.run("rnn-train", ["--data", short.path, "--cell", "transformer"])
        #expect(usage.status == 64)
        #expect(usage.errors.contains("--cell"))
        let both = try Programs.run("rnn-train", ["--data", short.path, "--val-data", short.path, "--val-fraction", "0.3"])
        #expect(both.status == 64)
        #expect(both.errors.contains("--val-fraction and --val-data exclude each other"))
    }
}

