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
