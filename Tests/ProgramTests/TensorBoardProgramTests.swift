import Foundation
import Testing

@testable import CharRNN

/// rnn-train --logdir, read back with TensorBoard's own readers (Tools/read_events.py).
struct TensorBoardProgramTests {
    /// A new run's log into a folder that holds another run's is refused (TensorBoard would drop
    /// the old curves); --overwrite deletes the old event files. Checkpoint file names carry a
    /// validation loss only when it was measured at their iteration.
    @Test func aNewRunDoesNotReplaceAnotherRunsLog() throws {
        let folder = try Programs.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let logs = folder.appendingPathComponent("logs").path
        func train(_ name: String, _ extra: [String]) throws -> ProgramResult {
            try Programs.run("rnn-train", [
                "--data", Programs.fixture("multilingual.txt"), "--layers", "1", "--hidden-size", "16", "--batch-size", "4",
                "--seq-length", "16", "--val-fraction", "0.2", "--max-iterations", "12", "--eval-every", "10", "--checkpoint-every", "4",
                "--sample-every", "0", "--logdir", logs, "--checkpoint-dir", folder.appendingPathComponent(name).path,
            ] + extra)
        }
        let first = try train("a", [])
        #expect(first.status == 0, "\(first.errors)")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("a").path).filter { $0.contains("-iter") }.sorted()
        #expect(names.count == 4 && names[0] == "lstm-iter00000004.h5" && names[1] == "lstm-iter00000008.h5", "\(names)")
        #expect(names[2].hasPrefix("lstm-iter00000010-val") && names[3].hasPrefix("lstm-iter00000012-val"), "\(names)")
        let events = TensorBoardWriter.eventFiles(in: logs)
        #expect(events.count == 1)
        let second = try train("b", [])
        #expect(second.status == 1)
        #expect(second.errors == "rnn-train: error: \(logs): the folder holds another run's TensorBoard log (1 event file); choose another --logdir, or add --overwrite to delete it\n")
        #expect(TensorBoardWriter.eventFiles(in: logs) == events)
        let third = try train("b", ["--overwrite"])
        #expect(third.status == 0, "\(third.errors)")
        let now = TensorBoardWriter.eventFiles(in: logs)
        #expect(now.count == 1 && now != events, "the old event file was replaced: \(now)")
    }

    @Test func aResumedRunContinuesTheLogWithoutDuplicates() throws {
        let folder = try Programs.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let checkpoints = folder.appendingPathComponent("ck").path, logs = folder.appendingPathComponent("logs").path
        let common = ["--logdir", logs, "--sample-every", "15", "--sample-length", "20"]
        let first = try Programs.run("rnn-train", [
            "--data", Programs.fixture("multilingual.txt"), "--layers", "1", "--hidden-size", "32", "--batch-size", "4",
            "--seq-length", "16", "--val-fraction", "0.2", "--max-iterations", "30", "--eval-every", "10",
            "--checkpoint-dir", checkpoints,
        ] + common)
        #expect(first.status == 0, "\(first.errors)")
        let second = try Programs.run("rnn-train", ["--resume", checkpoints + "/latest.h5", "--max-iterations", "50"] + common)
        #expect(second.status == 0, "\(second.errors)")

        let read = try Programs.runPython([Programs.repository.appendingPathComponent("Tools/read_events.py").path, logs])
        #expect(read.status == 0, "\(read.errors)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(read.output.utf8)) as? [String: Any])
        #expect((document["problems"] as? [Any])?.isEmpty == true)
        let history = try #require(try Checkpoint.read(from: checkpoints + "/latest.h5").training?.progress.history)
        let views = try #require(document["views"] as? [String: [String: Any]])
        #expect(views.count == 3)
        for (name, view) in views {
            let scalars = try #require(view["scalars"] as? [String: [[Double]]], "\(name)")
            for tag in ["train/loss", "train/learning_rate", "train/grad_norm", "train/chars_per_second"] {
                #expect(scalars[tag]?.map { Int($0[0]) } == Array(1...50), "\(name) \(tag): every step once")
            }
            // The logged training loss is the checkpoint's history, step for step.
            #expect(scalars["train/loss"]?.map { Float($0[1]) } == history.trainLoss, "\(name): train/loss values")
            #expect(scalars["val/loss"]?.map { Int($0[0]) } == [10, 20, 30, 40, 50], "\(name): val/loss steps")
            #expect(scalars["val/loss"]?.map { Float($0[1]) } == history.validationLoss, "\(name): val/loss values")
            let texts = try #require(view["texts"] as? [String: [[Any]]], "\(name)")
            #expect(texts["samples"]?.compactMap { ($0[0] as? NSNumber)?.intValue } == [15, 30, 45], "\(name): samples")
        }
    }
}
