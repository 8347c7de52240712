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
            (truncated, "truncated.h5: not a checkpoint: libhdf5 cannot open it"),
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
