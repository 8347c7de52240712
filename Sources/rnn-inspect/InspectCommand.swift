import ArgumentParser
import CharRNN
import CommandLineSupport

@main
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rnn-inspect",
        abstract: "Show and export what a checkpoint holds, compare two, validate one, and show what its neurons do.",
        discussion: """
            Without a subcommand, `show` runs: rnn-inspect CKPT is rnn-inspect show CKPT.

            Examples:
              rnn-inspect checkpoints/best.h5
              rnn-inspect checkpoints/best.h5 --tensors --json
              rnn-inspect checkpoints/best.h5 --export decoder.weight --to decoder.npy
              rnn-inspect checkpoints/best.h5 --history --plot loss.svg
              rnn-inspect diff run1/best.h5 run2/best.h5
              rnn-inspect verify checkpoints/latest.h5
              rnn-inspect activations best.h5 --file play.txt --html cells.html --top 5

            Details, the JSON layout and exit statuses: docs/inspect.md.
            """,
        version: ToolkitVersion.string,
        subcommands: [ShowCommand.self, DiffCommand.self, VerifyCommand.self, ActivationsCommand.self],
        defaultSubcommand: ShowCommand.self)
}

/// The program's name in error lines.
let program = "rnn-inspect"

extension ActivationState: ExpressibleByArgument {}
extension TextFeature: ExpressibleByArgument {}
