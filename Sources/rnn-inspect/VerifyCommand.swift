import ArgumentParser
import CharRNN
import CommandLineSupport

/// Validates a checkpoint and lists every problem found.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Validate a checkpoint completely: structure, values and the consistency of its training record.",
        discussion: """
            Runs the reader's validation, scans every float32 dataset for NaN and infinities, \
            looks for tensors the configuration does not have, and checks the training record \
            (optimizer step, characters seen, sequencer position, learning-rate schedule, loss \
            history, best validation loss, vocabulary counts, hidden-state range).

            Exit status: 0 when the file is sound (the checks made are listed), 1 with the list \
            of problems otherwise (also summarised in one line on standard error).
            """)

    @Argument(help: "The checkpoint (.h5) to verify.")
    var checkpoint: String

    @Flag(help: "Print JSON instead of text: {\"file\", \"sound\", \"problems\": [{\"object\", \"problem\"}], \"checks\"}.")
    var json = false

    func run() throws {
        let report = CheckpointVerifier.verify(path: checkpoint)
        Console.writeLine(json ? report.json.rendered() : report.lines.joined(separator: "\n"))
        try Console.checkOutput(program)
        if !report.isSound {
            let count = report.problems.count
            Console.error(program, "\(checkpoint) is not sound: \(count) problem\(count == 1 ? "" : "s"), first \(report.problems[0])")
            throw ExitCode.failure
        }
    }
}
