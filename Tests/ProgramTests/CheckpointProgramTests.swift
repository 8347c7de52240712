import Foundation
import Testing

@testable import CharRNN

/// Checkpoints through the programs: exact resume, Python interoperability, crash safety and
/// damaged files.
@Suite(.serialized)
struct CheckpointProgramTests {
    static let corpus = Programs.fixture("multilingual.txt")

    static func trainArguments(cell: String, embedding: Int = 0, folder: URL) -> [String] {
        [
            "--data", corpus, "--cell", cell, "--layers", "2", "--hidden-size", "16", "--embedding-size", "\(embedding)",
            "--dropout", "0.25", "--batch-size", "4", "--seq-length", "16", "--optimizer", "adam", "--learning-rate", "0.01",
            "--lr-decay", "0.9", "--lr-decay-after", "1", "--val-fraction", "0.2", "--eval-every", "5", "--sample-every", "5",
            "--sample-length", "10", "--print-every", "100", "--threads", "1", "--seed", "5", "--checkpoint-dir", folder.path,
        ]
    }

    /// A checkpoint with the wall-clock fields blanked: everything else must match bit for bit.
    static func comparable(_ path: String) throws -> Checkpoint {
        var c = try Checkpoint.read(from: path)
        c.createdUTC = ""
        c.training?.progress.elapsedSeconds = 0
        c.training?.progress.history.elapsed = []
        return c
    }

    /// N + M iterations in one run equal N, a stop, and M more after --resume: weights, optimizer
    /// slots, hidden state, random state, position and history. 7 batches make an epoch (456
    /// training characters: (456 - 1) / 64): stopping at 15 crosses epoch boundaries after the
    /// stop, stopping at 14 stops exactly on one. Validation runs every 5 or 7 iterations so that
    /// the stopped run's final evaluation is also a scheduled one (otherwise its validation
    /// log has one more entry, the evaluation it really did at the stop).
    @Test(arguments: ["rnn", "lstm", "gru"], [15, 14])
    func resumeThroughTheProgramsIsExact(_ cell: String, _ stopAt: Int) throws {
        let evaluation = ["--eval-every", stopAt == 15 ? "5" : "7"]
        let folder = try Programs.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let straight = folder.appendingPathComponent("straight"), split = folder.appendingPathComponent("split")
        let one = try Programs.run("rnn-train", Self.trainArguments(cell: cell, folder: straight) + ["--max-iterations", "30"] + evaluation)
        #expect(one.status == 0, "\(one.errors)")
        let first = try Programs.run("rnn-train", Self.trainArguments(cell: cell, folder: split) + ["--max-iterations", "\(stopAt)"] + evaluation)
        #expect(first.status == 0, "\(first.errors)")
        let second = try Programs.run("rnn-train", [
            "--resume", split.appendingPathComponent("latest.h5").path, "--max-iterations", "30", "--threads", "1",
            "--sample-every", "5", "--sample-length", "10",
        ] + evaluation)
        #expect(second.status == 0, "\(second.errors)")
        #expect(second.output.contains("resuming"))
        let a = try Self.comparable(straight.appendingPathComponent("latest.h5").path)
        let b = try Self.comparable(split.appendingPathComponent("latest.h5").path)
        #expect(a.training?.progress.iteration == 30 && a.training!.progress.epoch == 4)
        #expect(bitwiseEqual(a.parameters, b.parameters), "weights differ")
        #expect(a.training?.optimizerSlots == b.training?.optimizerSlots, "optimizer slots differ")
        #expect(a.training?.hidden == b.training?.hidden && a.training?.cell == b.training?.cell, "hidden state differs")
        #expect(a.training?.random == b.training?.random, "random state differs")
        #expect(a.training?.progress == b.training?.progress, "position or history differs")
        #expect(a == b, "some other object differs")
    }

    /// Tools/reference_reader.py (h5py + numpy, no project code) scores like rnn-play --score, and
    /// so does PyTorch: Tools/torch_load.py loads /model into nn.Embedding, nn.RNN/LSTM/GRU and
    /// nn.Linear with load_state_dict(strict=True) and scores with torch's own cells.
    @Test(arguments: [("rnn", 0), ("lstm", 0), ("gru", 0), ("rnn", 6), ("lstm", 6), ("gru", 6)])
    func pythonReaderScoresLikeThePlayer(_ cell: String, _ embedding: Int) throws {
        let folder = try Programs.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let trained = try Programs.run("rnn-train", Self.trainArguments(cell: cell, embedding: embedding, folder: folder) + ["--max-iterations", "10"])
        #expect(trained.status == 0, "\(trained.errors)")
        let checkpoint = folder.appendingPathComponent("latest.h5").path
        let ours = try Programs.run("rnn-play", [checkpoint, "--score", Self.corpus])
        #expect(ours.status == 0, "\(ours.errors)")
        let python = try Programs.runPython([Programs.repository.appendingPathComponent("Tools/reference_reader.py").path, checkpoint, Self.corpus])
        #expect(python.status == 0, "\(python.errors)")
        func nats(_ line: String) -> Double? {
            guard let range = line.range(of: ": ") else { return nil }
            return Double(line[range.upperBound...].prefix { $0 != " " })
        }
        let a = try #require(nats(ours.output)), b = try #require(nats(python.output))
        print("score \(cell) embedding \(embedding): rnn-play \(a), reference_reader.py \(b)")
        #expect(abs(a - b) < 1e-4)
        #expect(a > 0.5 && a < 10)
        guard Programs.torchAvailable else {
            #expect(!Programs.torchRequired, "CHARRNN_REQUIRE_TORCH=1 but python3 cannot import torch")
            print("score \(cell) embedding \(embedding): torch is not installed, Tools/torch_load.py not run")
            return
        }
        let torch = try Programs.runPython([Programs.repository.appendingPathComponent("Tools/torch_load.py").path, checkpoint, Self.corpus])
        #expect(torch.status == 0, "\(torch.errors)")
        let c = try #require(nats(torch.output))
        print("score \(cell) embedding \(embedding): torch_load.py \(c)")
        #expect(abs(a - c) < 1e-4)
    }

    /// A resumed run keeps its settings: a contradicting option or changed text is refused with
    /// one line, and the checkpoint folder is left as it was.
    @Test func resumeRefusesContradictionsAndOtherText() throws {
        let folder = try Programs.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let text = folder.appendingPathComponent("text.txt")
        try FileManager.default.copyItem(atPath: Self.corpus, toPath: text.path)
        var arguments = Self.trainArguments(cell: "gru", folder: folder.appendingPathComponent("run")) + ["--max-iterations", "4"]
        arguments[arguments.firstIndex(of: Self.corpus)!] = text.path
        let first = try Programs.run("rnn-train", arguments)
        #expect(first.status == 0, "\(first.errors)")
        let latest = folder.appendingPathComponent("run/latest.h5").path
        let before = try Data(contentsOf: URL(fileURLWithPath: latest))
        let cases: [([String], String)] = [
            (["--hidden-size", "32"], "latest.h5: --hidden-size 32 contradicts the checkpoint's 16; a resumed run keeps its settings"),
            (["--cell", "lstm"], "latest.h5: --cell lstm contradicts the checkpoint's gru"),
            (["--learning-rate", "0.5"], "latest.h5: --learning-rate 0.5 contradicts the checkpoint's 0.01"),
            (["--batch-size", "8"], "latest.h5: --batch-size 8 contradicts the checkpoint's 4"),
            (["--bytes"], "latest.h5: --bytes contradicts the checkpoint: the model reads Unicode characters; drop --bytes"),
        ]
        for (extra, message) in cases {
            let result = try Programs.run("rnn-train", ["--resume", latest, "--max-iterations", "8"] + extra)
            #expect(result.status == 1, "\(extra): \(result.errors)")
            #expect(result.errors.contains(message), "\(extra): \(result.errors)")
            #expect(result.errors.split(separator: "\n").count == 1, "\(extra): \(result.errors)")
        }
        // The text changed since: same length, one character different.
        var changed = try String(contentsOf: text, encoding: .utf8)
        changed = String(changed.reversed())
        try changed.write(to: text, atomically: true, encoding: .utf8)
        let other = try Programs.run("rnn-train", ["--resume", latest, "--max-iterations", "8"])
        #expect(other.status == 1)
        #expect(other.errors.contains("latest.h5: the training text differs from the one this checkpoint was trained on"), "\(other.errors)")
        #expect(other.errors.contains("use --init-from to fine-tune on new text"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: latest)) == before, "a refused resume left the checkpoint alone")
    }

    /// One folder, one run: a new run into a folder that holds another run's checkpoints is
    /// refused (nothing pruned or replaced) unless --overwrite, which deletes them first.
    @Test func newRunDoesNotTakeOverAnotherRunsFolder() throws {
        let folder = try Programs.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = folder.appendingPathComponent("run")
        let first = try Programs.run("rnn-train", Self.trainArguments(cell: "lstm", folder: run) + ["--max-iterations", "10", "--checkpoint-every", "5"])
        #expect(first.status == 0, "\(first.errors)")
        let names = { try FileManager.default.contentsOfDirectory(atPath: run.path).filter { $0.hasSuffix(".h5") }.sorted() }
        let before = try names()
        #expect(before.count == 4, "\(before)")
        let latest = try Data(contentsOf: run.appendingPathComponent("latest.h5"))
        let second = try Programs.run("rnn-train", Self.trainArguments(cell: "gru", folder: run) + ["--max-iterations", "4", "--keep", "1"])
        #expect(second.status == 1)
        #expect(second.errors.contains("the folder holds another run's checkpoints (2 numbered checkpoints); continue it with --resume \(run.path)/latest.h5, choose another --checkpoint-dir, or add --overwrite"), "\(second.errors)")
        #expect(second.errors.split(separator: "\n").count == 1)
        #expect(try names() == before)
        #expect(try Data(contentsOf: run.appendingPathComponent("latest.h5")) == latest)
        let fineTuning = try Programs.run("rnn-train", [
            "--init-from", run.appendingPathComponent("latest.h5").path, "--data", Self.corpus, "--checkpoint-dir", run.path,
        ])
        #expect(fineTuning.status == 1 && fineTuning.errors.contains("the folder holds another run's checkpoints"), "\(fineTuning.errors)")
        // Resuming through a symbolic link to the checkpoint continues in the run's own folder.
        let link = folder.appendingPathComponent("model.h5").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: run.appendingPathComponent("latest.h5").path)
        let throughLink = try Programs.run("rnn-train", ["--resume", link, "--max-iterations", "12", "--sample-every", "0", "--threads", "1"])
        #expect(throughLink.status == 0, "\(throughLink.errors)")
        #expect(try Checkpoint.read(from: run.appendingPathComponent("latest.h5").path).training?.progress.iteration == 12)
        let overwritten = try Programs.run("rnn-train", Self.trainArguments(cell: "gru", folder: run) + ["--max-iterations", "4", "--overwrite"])
        #expect(overwritten.status == 0, "\(overwritten.errors)")
        let after = try names()
        #expect(!after.contains { $0.hasPrefix("lstm-") }, "the old run's checkpoints were deleted: \(after)")
        #expect(try Checkpoint.read(from: run.appendingPathComponent("latest.h5").path).config.cell == .gru)
    }

    /// --init-from: the checkpoint's weights, a fresh optimizer and a new count of iterations;
    /// text with characters the model does not know is refused with the list of them.
    @Test func initFromStartsANewRunFromTheWeights() throws {
        let folder = try Programs.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let source = folder.appendingPathComponent("source")
        let trained = try Programs.run("rnn-train", Self.trainArguments(cell: "lstm", folder: source) + ["--max-iterations", "12"])
        #expect(trained.status == 0, "\(trained.errors)")
        let sourcePath = source.appendingPathComponent("latest.h5").path
        let original = try Checkpoint.read(from: sourcePath)
        #expect(original.training?.progress.iteration == 12)

        // One SGD step with a vanishing learning rate: the weights are the source's to rounding.
        let tuned = folder.appendingPathComponent("tuned")
        let text = folder.appendingPathComponent("part.txt")
        try String(try String(contentsOfFile: Self.corpus, encoding: .utf8).prefix(300)).write(to: text, atomically: true, encoding: .utf8)
        let fineTuned = try Programs.run("rnn-train", [
            "--init-from", sourcePath, "--data", text.path, "--optimizer", "sgd", "--learning-rate", "1e-12",
            "--batch-size", "2", "--seq-length", "8", "--max-iterations", "1", "--val-fraction", "0", "--sample-every", "0",
            "--checkpoint-dir", tuned.path, "--threads", "1",
        ])
        #expect(fineTuned.status == 0, "\(fineTuned.errors)")
        #expect(fineTuned.output.contains("fine-tuning the weights of \(sourcePath)"))
        let result = try Checkpoint.read(from: tuned.appendingPathComponent("latest.h5").path)
        #expect(result.config.cell == original.config.cell && result.config.hiddenSize == original.config.hiddenSize)
        #expect(result.vocabulary.codepoints == original.vocabulary.codepoints)
        #expect(result.training?.progress.iteration == 1, "a new run counts its own iterations")
        #expect(result.training?.optimizerStep == 1 && result.training?.options.optimizer.kind == .sgd, "a fresh optimizer")
        #expect(result.training?.optimizerSlots.isEmpty == true, "plain SGD keeps no slots")
        let largest = zip(result.parameters, original.parameters).map { abs($0 - $1) }.max() ?? 1
        #expect(largest < 1e-6, "weights moved by \(largest)")

        // Characters the model never saw.
        let foreign = folder.appendingPathComponent("foreign.txt")
        try String(repeating: "Zebra \u{1F993} quiz\n", count: 40).write(to: foreign, atomically: true, encoding: .utf8)
        let refused = try Programs.run("rnn-train", ["--init-from", sourcePath, "--data", foreign.path, "--checkpoint-dir", folder.appendingPathComponent("x").path])
        #expect(refused.status == 1)
        #expect(refused.errors.contains("foreign.txt: "), "\(refused.errors)")
        #expect(refused.errors.contains("not in the model's vocabulary"), "\(refused.errors)")
        #expect(refused.errors.contains("\u{1F993}") || refused.errors.contains("1F993"), "the zebra is listed: \(refused.errors)")
        #expect(refused.errors.split(separator: "\n").count == 1)
        // The architecture comes from the checkpoint.
        let contradicting = try Programs.run("rnn-train", ["--init-from", sourcePath, "--data", Self.corpus, "--layers", "3", "--checkpoint-dir", folder.appendingPathComponent("y").path])
        #expect(contradicting.status == 1 && contradicting.errors.contains("--layers 3 contradicts the checkpoint's 2; --init-from keeps the checkpoint's architecture"), "\(contradicting.errors)")
    }

    /// SIGKILL at random moments while saving every iteration: every file under a checkpoint's
    /// name always opens and validates, and the newest one resumes.
    @Test func killedWhileSavingLeavesSoundCheckpoints() throws {
        let folder = try Programs.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var random = SystemRandomNumberGenerator()
        var kills = 0, midSave = 0
        for round in 0..<16 {
            let latest = folder.appendingPathComponent("latest.h5").path
            var arguments = FileManager.default.fileExists(atPath: latest)
                ? ["--resume", latest]
                : Self.trainArguments(cell: "lstm", folder: folder)
            arguments += ["--max-iterations", "1000000", "--epochs", "1000000"]
            arguments += ["--checkpoint-every", "1", "--keep", "3", "--sample-every", "0", "--threads", "1"]
            let process = try Programs.start("rnn-train", arguments)
            usleep(UInt32.random(in: 150_000...700_000, using: &random))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            if process.terminationReason == .uncaughtSignal { kills += 1 }
            let all = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            if all.contains(where: { $0.hasPrefix(Checkpoint.temporaryPrefix) }) { midSave += 1 }
            let names = all.filter { $0.hasSuffix(".h5") && !$0.hasPrefix(".") }
            for name in names {
                let path = folder.appendingPathComponent(name).path
                #expect(throws: Never.self, "round \(round): \(name) does not validate") { _ = try Checkpoint.read(from: path) }
            }
        }
        print("crash safety: \(kills) kills, \(midSave) of them in the middle of a save")
        #expect(kills >= 12, "the trainer was killed while running")
        #expect(midSave >= 1, "no kill landed in the middle of a save")
        let latest = try Checkpoint.read(from: folder.appendingPathComponent("latest.h5").path)
        let reached = latest.training!.progress.iteration
        #expect(reached > 0)
        let resumed = try Programs.run("rnn-train", [
            "--resume", folder.appendingPathComponent("latest.h5").path, "--max-iterations", "\(reached + 3)", "--sample-every", "0",
            "--epochs", "1000000",
        ])
        #expect(resumed.status == 0, "\(resumed.errors)")
        #expect(try Checkpoint.read(from: folder.appendingPathComponent("latest.h5").path).training!.progress.iteration == reached + 3)
    }

    /// Damaged checkpoints: one clear line naming the file and the problem, and a failure status.
    @Test func damagedCheckpointsAreRefusedClearly() throws {
        let folder = try Programs.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let trained = try Programs.run("rnn-train", Self.trainArguments(cell: "gru", folder: folder.appendingPathComponent("run")) + ["--max-iterations", "5"])
        #expect(trained.status == 0, "\(trained.errors)")
        let good = folder.appendingPathComponent("run/latest.h5").path
        let bytes = try Data(contentsOf: URL(fileURLWithPath: good))
        func damaged(_ name: String, _ edit: String?) throws -> String {
            let path = folder.appendingPathComponent(name).path
            try bytes.write(to: URL(fileURLWithPath: path))
            if let edit {
                let result = try Programs.runPython(["-c", "import h5py, numpy as np\nf = h5py.File('\(path)', 'r+')\n\(edit)\nf.close()"])
                #expect(result.status == 0, "\(result.errors)")
            }
            return path
        }
        let truncated = folder.appendingPathComponent("truncated.h5").path
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: truncated))
        let noise = folder.appendingPathComponent("noise.h5").path
        var generator = RandomGenerator(seed: 9)
        try Data((0..<4096).map { _ in UInt8(truncatingIfNeeded: generator.next()) }).write(to: URL(fileURLWithPath: noise))
        let empty = folder.appendingPathComponent("empty.h5").path
        FileManager.default.createFile(atPath: empty, contents: Data())

        let cases: [(String, String)] = [
            (truncated, "truncated.h5: not a checkpoint: the file is truncated: "),
            (noise, "noise.h5: not a checkpoint: not an HDF5 file"),
            (empty, "empty.h5: not a checkpoint: the file is empty"),
            (folder.appendingPathComponent("missing.h5").path, "missing.h5: cannot open the checkpoint: No such file or directory"),
            (try damaged("format.h5", "f.attrs['format'] = np.bytes_(b'something-else')"), "format.h5: not a checkpoint: format is \"something-else\""),
            (try damaged("newer.h5", "f.attrs['format_version'] = np.int64(2)"), "newer.h5: written by a newer version (checkpoint format 2"),
            (try damaged("nodata.h5", "del f['model/decoder.bias']"), "nodata.h5: /model/decoder.bias: missing"),
            (try damaged("shape.h5", "del f['model/rnn.weight_hh_l1']\nf['model/rnn.weight_hh_l1'] = np.zeros((48, 15), np.float32)"),
             "shape.h5: /model/rnn.weight_hh_l1: has shape [48, 15] where [48, 16] is expected"),
            (try damaged("nan.h5", "d = f['model/decoder.weight']\nw = d[()]\nw[3, 2] = np.nan\nd[...] = w\ndel d.attrs['crc32c']"),
             "nan.h5: /model/decoder.weight: holds a non-finite value"),
            (try damaged("crc.h5", "d = f['model/rnn.weight_hh_l0']\nw = d[()]\nw[1, 1] += 0.001\nd[...] = w"),
             "crc.h5: /model/rnn.weight_hh_l0: checksum mismatch"),
            (try damaged("type.h5", "del f['model/decoder.bias']\nf['model/decoder.bias'] = np.zeros(len(f['vocab/codepoints']), np.float64)"),
             "type.h5: /model/decoder.bias: has the wrong data type"),
            (try damaged("soft.h5", "del f['model/decoder.bias']\nf['model/decoder.bias'] = h5py.SoftLink('/model/rnn.bias_ih_l0')"),
             "soft.h5: /model/decoder.bias: is a soft link"),
            (try damaged("external.h5", "del f['model/decoder.bias']\nf['model/decoder.bias'] = h5py.ExternalLink('\(good)', '/model/decoder.bias')"),
             "external.h5: /model/decoder.bias: is an external link; only plain objects are accepted"),
        ]
        for (path, message) in cases {
            let result = try Programs.run("rnn-play", [path, "--length", "5"])
            #expect(result.status == 1, "\(path)")
            #expect(!result.signaled)
            #expect(result.errors.contains(message), "\(path): \(result.errors)")
            #expect(result.errors.split(separator: "\n").count == 1, "one line: \(result.errors)")
        }
        // The sound file still plays.
        #expect(try Programs.run("rnn-play", [good, "--length", "5", "--seed", "1"]).status == 0)
    }
}
