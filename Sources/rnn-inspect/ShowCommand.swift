import ArgumentParser
import CharRNN
import CommandLineSupport
import Foundation

/// The summary and the views of one checkpoint, and its exports.
struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Summarise a checkpoint; list its vocabulary, tensors or loss history; export a tensor or plot the losses.",
        discussion: """
            Without a view option the summary is printed: format and origin, architecture and \
            parameter counts, vocabulary size, training progress, optimizer, carried hidden \
            state and training text. View options can be combined; --export and --plot write \
            files and print one line each.

            The checkpoint is read even when its values are not finite (a diverged model), so \
            that NaN and infinities can be counted.
            """)

    @Argument(help: "The checkpoint (.h5) to inspect.")
    var checkpoint: String

    @Flag(help: "List the vocabulary: id, character (whitespace, control characters, combining marks and other zero-width characters escaped), code point, count and share in the training text.")
    var vocab = false

    @Flag(help: "List every tensor (parameters, optimizer slots, hidden state): shape, mean, std, min, max, share of zeros, NaN and Inf counts, histogram.")
    var tensors = false

    @Flag(help: "List the training and validation loss by iteration.")
    var history = false

    @Option(help: ArgumentHelp("With --history: list only every K-th iteration (plus every evaluation and the last iteration).", valueName: "K"))
    var every = 1

    @Option(help: ArgumentHelp("Write the loss curves (training and validation) as an SVG picture to this file, whose name must end in .svg.", valueName: "file.svg"))
    var plot: String?

    @Option(help: ArgumentHelp("Export this tensor (a name from --tensors, such as model/decoder.weight, or a parameter's PyTorch name such as decoder.weight) to the file given by --to.", valueName: "name"))
    var export: String?

    @Option(help: ArgumentHelp("The file --export writes: .npy (NumPy format 1.0, little-endian float32) or .csv (one line per row of the last dimension).", valueName: "file"))
    var to: String?

    @Flag(help: "Print JSON instead of text: an object with \"file\", one member per view (\"summary\", \"vocabulary\", \"tensors\", \"history\") and per file written (\"export\", \"plot\").")
    var json = false

    func validate() throws {
        if (export == nil) != (to == nil) { throw ValidationError("--export NAME and --to FILE go together") }
        if every < 1 { throw ValidationError("--every must be at least 1") }
        if every != 1 && !history { throw ValidationError("--every applies to --history") }
        // SVG is the only format drawn: a .png name would get SVG text that image viewers refuse.
        if let plot, URL(fileURLWithPath: plot).pathExtension.lowercased() != "svg" {
            throw ValidationError("--plot \(plot): the plot is an SVG picture; give a file name ending in .svg")
        }
    }

    func run() throws {
        try Console.failingCleanly(program) {
            let loaded = try Checkpoint.read(from: checkpoint, allowNonFinite: true)
            let wantsFiles = export != nil || plot != nil
            let showSummary = !vocab && !tensors && !history && !wantsFiles
            func trainingHistory(_ view: String) throws -> LossHistory {
                guard let training = loaded.training else { throw InspectionError.noTrainingState(path: checkpoint, view: view) }
                return training.progress.history
            }

            // Files first: a failed export should not follow pages of output.
            var written: [(key: String, value: JSONValue)] = []
            if let export, let to {
                let tensor = try loaded.inspectedTensor(named: export, path: checkpoint)
                try TensorExport.write(tensor, to: to)
                written.append(("export", .object([
                    ("tensor", .string(tensor.name)), ("shape", .array(tensor.shape.map { .int($0) })), ("to", .string(to)),
                ])))
                if !json { Console.writeLine("wrote \(to): \(tensor.name) \(tensor.shape) float32") }
            }
            if let plot {
                let lossHistory = try trainingHistory("--plot")
                try InspectionOutput.write(LossPlot(history: lossHistory, title: "Loss of \(checkpoint)").svg, to: plot)
                written.append(("plot", .string(plot)))
                if !json {
                    Console.writeLine("wrote \(plot): \(lossHistory.steps.count) training and \(lossHistory.validationSteps.count) validation losses")
                }
            }

            if json {
                var members: [(key: String, value: JSONValue)] = [("file", .string(checkpoint))] + written
                if showSummary { members.append(("summary", CheckpointSummary(checkpoint: loaded, path: checkpoint).json)) }
                if vocab { members.append(("vocabulary", VocabularyReport(vocabulary: loaded.vocabulary).json)) }
                if tensors { members.append(("tensors", TensorReport(checkpoint: loaded).json)) }
                if history { members.append(("history", HistoryReport(history: try trainingHistory("--history")).json)) }
                Console.writeLine(JSONValue.object(members).rendered())
                return
            }
            var sections: [[String]] = []
            if showSummary { sections.append(CheckpointSummary(checkpoint: loaded, path: checkpoint).lines) }
            if vocab { sections.append(VocabularyReport(vocabulary: loaded.vocabulary).lines) }
            if tensors { sections.append(TensorReport(checkpoint: loaded).lines) }
            if history { sections.append(HistoryReport(history: try trainingHistory("--history")).lines(every: every)) }
            Console.write(sections.map { $0.joined(separator: "\n") + "\n" }.joined(separator: "\n"))
        }
    }
}
