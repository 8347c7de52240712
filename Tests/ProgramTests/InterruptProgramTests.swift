import Foundation
import Testing

@testable import CharRNN

/// Ctrl-C and SIGTERM: the first finishes the current step (or cuts a validation pass short),
/// saves and exits with status 130; a second exits at once and leaves no temporary file.
@Suite(.serialized)
struct InterruptProgramTests {
    /// Starts rnn-train with its standard output and error going to files in `folder`.
    static func start(_ arguments: [String], in folder: URL) throws -> (process: Process, output: URL, errors: URL) {
        let output = folder.appendingPathComponent("stdout.txt"), errors = folder.appendingPathComponent("stderr.txt")
        FileManager.default.createFile(atPath: output.path, contents: nil)
        FileManager.default.createFile(atPath: errors.path, contents: nil)
        let process = Process()
        process.executableURL = Programs.binaries.appendingPathComponent("rnn-train")
        process.arguments = arguments + ["--sample-every", "0", "--threads", "1"]
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = try FileHandle(forWritingTo: errors)
        try process.run()
        return (process, output, errors)
    }

    /// Waits for the process to end; the seconds it took, or nil after `limit` (then kills it).
    static func waitForExit(_ process: Process, limit: Double) -> Double? {
        let started = Date()
        while process.isRunning {
            if Date().timeIntervalSince(started) > limit {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                return nil
            }
            usleep(5_000)
        }
        return Date().timeIntervalSince(started)
    }

    /// Waits (up to 60 s, for a loaded machine) until the program's output contains `text`.
    static func waitForOutput(_ run: (process: Process, output: URL, errors: URL), _ text: String) throws {
        let started = Date()
        while Date().timeIntervalSince(started) < 60 && run.process.isRunning {
            if (try? String(contentsOf: run.output, encoding: .utf8))?.contains(text) == true { return }
            usleep(10_000)
        }
        Issue.record("\(text) never appeared: \((try? String(contentsOf: run.output, encoding: .utf8)) ?? "")")
    }

    /// The fixture repeated: a validation text whose pass takes seconds.
    static func longText(in folder: URL, copies: Int) throws -> URL {
        let long = folder.appendingPathComponent("long.txt")
        try String(repeating: try String(contentsOfFile: Programs.fixture("multilingual.txt"), encoding: .utf8), count: copies)
            .write(to: long, atomically: true, encoding: .utf8)
        return long
    }

    static func sound(_ folder: URL) throws -> [String] {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        #expect(!names.contains { $0.hasPrefix(Checkpoint.temporaryPrefix) }, "a temporary file was left: \(names)")
        for name in names where name.hasSuffix(".h5") {
            #expect(throws: Never.self, "\(name) does not validate") { _ = try Checkpoint.read(from: folder.appendingPathComponent(name).path) }
        }
        return names
    }

    static let training = [
        "--data", Programs.fixture("multilingual.txt"), "--layers", "1", "--hidden-size", "32", "--batch-size", "4",
        "--seq-length", "16", "--val-fraction", "0.1", "--max-iterations", "100000000", "--epochs", "100000000",
    ]

    @Test(arguments: [SIGINT, SIGTERM])
    func aSignalFinishesTheStepSavesAndExits130(_ signal: Int32) throws {
        let folder = try Programs.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let ck = folder.appendingPathComponent("ck")
        let run = try Self.start(Self.training + ["--checkpoint-dir", ck.path, "--eval-every", "50"], in: folder)
        try Self.waitForOutput(run, "iter ")
        usleep(200_000)
        kill(run.process.processIdentifier, signal)
        let took = try #require(Self.waitForExit(run.process, limit: 20), "still running 20 s after the signal")
        #expect(run.process.terminationStatus == 130)
        let output = try String(contentsOf: run.output, encoding: .utf8)
        #expect(output.contains("interrupted; continue with: rnn-train --resume \(ck.path)/latest.h5"), "\(output.suffix(500))")
        #expect(took < 5, "took \(took) s to stop")
        _ = try Self.sound(ck)
        let latest = try Checkpoint.read(from: ck.appendingPathComponent("latest.h5").path)
        let reached = try #require(latest.training?.progress.iteration)
        #expect(reached > 0)
        let resumed = try Programs.run("rnn-train", [
            "--resume", ck.appendingPathComponent("latest.h5").path, "--max-iterations", "\(reached + 2)", "--sample-every", "0",
        ])
        #expect(resumed.status == 0, "\(resumed.errors)")
    }

    /// A validation pass over a long text is cut short rather than waited for.
    @Test func aSignalDuringALongValidationStopsPromptly() throws {
        let folder = try Programs.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let long = try Self.longText(in: folder, copies: 2000)
        let ck = folder.appendingPathComponent("ck")
        let run = try Self.start([
            "--data", Programs.fixture("multilingual.txt"), "--val-data", long.path, "--layers", "2", "--hidden-size", "128",
            "--batch-size", "4", "--seq-length", "16", "--eval-every", "1", "--max-iterations", "1000", "--checkpoint-dir", ck.path,
        ], in: folder)
        try Self.waitForOutput(run, "iter ")
        usleep(300_000)
        let before = try String(contentsOf: run.output, encoding: .utf8)
        kill(run.process.processIdentifier, SIGINT)
        let took = try #require(Self.waitForExit(run.process, limit: 30))
        #expect(run.process.terminationStatus == 130)
        #expect(!before.contains("validation at iteration 1:"), "the first validation pass had ended before the signal: the text is too short for this test")
        #expect(took < 6, "took \(took) s to stop (the validation pass alone takes over 20 s)")
        let names = try Self.sound(ck)
        #expect(names.contains("latest.h5"))
    }

    /// Ctrl-C during the final evaluation of a completed plan: exit 130, and the resumed run makes
    /// up the evaluation (history, best.h5) instead of finding nothing to do.
    @Test func anEvaluationCutShortIsMadeUpOnResume() throws {
        let folder = try Programs.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let long = try Self.longText(in: folder, copies: 1000)
        let ck = folder.appendingPathComponent("ck")
        let run = try Self.start([
            "--data", Programs.fixture("multilingual.txt"), "--val-data", long.path, "--layers", "1", "--hidden-size", "64",
            "--batch-size", "4", "--seq-length", "16", "--max-iterations", "1", "--checkpoint-dir", ck.path,
        ], in: folder)
        try Self.waitForOutput(run, "iter ")
        usleep(200_000)
        kill(run.process.processIdentifier, SIGINT)
        _ = try #require(Self.waitForExit(run.process, limit: 30))
        #expect(run.process.terminationStatus == 130)
        let latest = ck.appendingPathComponent("latest.h5").path
        let stopped = try Checkpoint.read(from: latest)
        #expect(stopped.training?.progress.iteration == 1)
        #expect(stopped.training?.progress.history.validationSteps.isEmpty == true, "the evaluation was cut short")
        let resumed = try Programs.run("rnn-train", ["--resume", latest, "--sample-every", "0", "--threads", "1"])
        #expect(resumed.status == 0, "\(resumed.errors)")
        #expect(resumed.output.contains("validation at iteration 1: loss"), "\(resumed.output)")
        let after = try Checkpoint.read(from: latest)
        #expect(after.training?.progress.history.validationSteps == [1])
        #expect(FileManager.default.fileExists(atPath: ck.appendingPathComponent("best.h5").path))
        #expect(bitwiseEqual(after.parameters, stopped.parameters), "no training happened")
    }

    /// A second signal ends the process at once, even in the middle of a save, and removes the
    /// save's temporary file; every checkpoint left validates.
    @Test func aSecondSignalExitsAtOnceAndLeavesNoTemporaryFile() throws {
        let folder = try Programs.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let ck = folder.appendingPathComponent("ck")
        for round in 0..<4 {
            let run = try Self.start(Self.training + [
                "--checkpoint-dir", ck.path, "--checkpoint-every", "1", "--eval-every", "0", "--hidden-size", "256", "--overwrite",
            ], in: folder)
            try Self.waitForOutput(run, "saved ")
            usleep(UInt32(round * 40_000))
            kill(run.process.processIdentifier, SIGINT)
            usleep(UInt32(round * 1_500))
            kill(run.process.processIdentifier, SIGINT)
            _ = try #require(Self.waitForExit(run.process, limit: 10))
            #expect(run.process.terminationStatus == 130, "round \(round)")
            _ = try Self.sound(ck)
        }
    }
}
