import Foundation
import Testing

/// Hostile and damaged checkpoints through the built programs: Tools/fuzz_checkpoints.py derives
/// 300 mutants (fixed seed) from freshly trained rnn, lstm and gru checkpoints and runs
/// `rnn-inspect verify`, `rnn-inspect` and `rnn-play` on each. None may crash, hang or print more
/// than one line for a failure. Damaged files called sound are counted and bounded, not hidden:
/// docs/hardening.md's Known limits lists the residual class (headers with forged checksums that
/// libhdf5 1.10.8 reads and a newer libhdf5 refuses, about 1 in 1,000 mutants; this seed meets
/// one), so at most 1% of the mutants may be such false accepts.
@Suite(.serialized)
struct FuzzProgramTests {
    @Test func threeHundredMutantsHurtNoProgram() throws {
        let started = Date()
        let script = Programs.repository.appendingPathComponent("Tools/fuzz_checkpoints.py").path
        let result = try Programs.runPython([
            script, "--count", "300", "--seed", "20261123", "--timeout", "20", "--jobs", "2", "--quiet",
            "--bin", Programs.binaries.path,
        ])
        let seconds = Date().timeIntervalSince(started)
        print(result.output.split(separator: "\n").suffix(12).joined(separator: "\n"))
        print("fuzz test: \(Int(seconds)) s")
        #expect(!result.signaled)
        let line = try #require(result.output.split(separator: "\n").last { $0.hasPrefix("fuzz-result ") }, "\(result.errors)")
        let summary = try #require(
            try JSONSerialization.jsonObject(with: Data(line.dropFirst("fuzz-result ".count).utf8)) as? [String: Any])
        #expect(summary["mutants"] as? Int == 300)
        for key in ["crashes", "hangs", "messy"] {
            #expect(summary[key] as? Int == 0, "\(key): \(result.output)")
        }
        let falseAccepts = summary["false_accepts"] as? Int ?? -1
        print("fuzz test: \(falseAccepts) false accept(s) of 300 (the known class, see docs/hardening.md)")
        #expect(falseAccepts >= 0 && falseAccepts <= 3, "false accepts: \(result.output)")
        // Most mutants are damage that must be refused; a few change nothing the format checks.
        #expect((summary["refused"] as? Int ?? 0) > 200)
        // The fuzzer exits 1 on any false accept; anything else must be 0.
        #expect(result.status == (falseAccepts > 0 ? 1 : 0), "\(result.errors)")
    }

    /// Each mutation kind, each outcome reason and the seeds are exercised in the run above; this
    /// checks the fuzzer's own judge on files whose verdict is known.
    @Test func theFuzzerJudgesKnownFilesRight() throws {
        let folder = try Programs.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let trained = try Programs.run("rnn-train", [
            "--data", Programs.fixture("multilingual.txt"), "--cell", "gru", "--layers", "1", "--hidden-size", "8",
            "--batch-size", "4", "--seq-length", "16", "--max-iterations", "3", "--sample-every", "0", "--threads", "1",
            "--val-fraction", "0.2", "--eval-every", "3", "--checkpoint-dir", folder.appendingPathComponent("run").path,
        ])
        #expect(trained.status == 0, "\(trained.errors)")
        let seeds = folder.appendingPathComponent("seeds")
        try FileManager.default.createDirectory(at: seeds, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            at: folder.appendingPathComponent("run/latest.h5"), to: seeds.appendingPathComponent("gru.h5"))
        let script = Programs.repository.appendingPathComponent("Tools/fuzz_checkpoints.py").path
        let result = try Programs.runPython([
            script, "--seeds", seeds.path, "--count", "40", "--seed", "3", "--kinds", "truncate,structure", "--quiet",
            "--bin", Programs.binaries.path, "--json", folder.appendingPathComponent("out.json").path,
        ])
        #expect(result.status == 0, "\(result.output)\n\(result.errors)")
        let report = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("out.json"))) as? [String: Any])
        let mutants = try #require(report["mutants"] as? [[String: Any]])
        #expect(mutants.count == 40)
        // Truncated files are always refused, by every program.
        for mutant in mutants where mutant["kind"] as? String == "truncate" {
            #expect(mutant["outcome"] as? String == "refused", "\(mutant)")
        }
    }
}
