import ArgumentParser
import CharRNN
import CommandLineSupport

/// Compares two checkpoints.
struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare two checkpoints: settings that differ, and per tensor the largest absolute and relative difference.",
        discussion: """
            The last line sums up what differs: settings, the loss history and tensors. The loss \
            history counts: a run stopped between two --eval-every points and resumed has one \
            more evaluation than a straight run, and the summary says that only its history \
            differs when every tensor is equal.

            Exit status: 0 when the checkpoints are identical (every setting and tensor equal bit \
            for bit; wall-clock records such as created_utc and training time are shown but do \
            not count), 1 when they differ, 2 when one cannot be read.
            """)

    @Argument(help: "The first checkpoint (A).")
    var a: String

    @Argument(help: "The second checkpoint (B).")
    var b: String

    @Flag(help: "List identical tensors too.")
    var all = false

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func run() throws {
        var difference: CheckpointDiff?
        // A checkpoint that cannot be read is trouble (2), not a difference (1).
        do {
            try Console.failingCleanly(program) {
                let first = try Checkpoint.read(from: a, allowNonFinite: true)
                let second = try Checkpoint.read(from: b, allowNonFinite: true)
                difference = CheckpointDiff(first, second, pathA: a, pathB: b)
            }
        } catch let exit as ExitCode where exit == .failure {
            throw ExitCode(2)
        }
        guard let difference else { throw ExitCode(2) }
        if json {
            Console.writeLine(difference.json.rendered())
        } else {
            Console.writeLine(difference.lines(all: all).joined(separator: "\n"))
        }
        try Console.checkOutput(program, status: ExitCode(2))
        if !difference.identical { throw ExitCode(1) }
    }
}
