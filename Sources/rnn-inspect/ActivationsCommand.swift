import ArgumentParser
import CharRNN
import CommandLineSupport
import Foundation

/// A list of unit numbers, "3,17,42".
struct UnitList: ExpressibleByArgument {
    let units: [Int]

    init?(argument: String) {
        let parts = argument.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        let numbers = parts.compactMap { Int($0) }
        guard !parts.isEmpty, numbers.count == parts.count else { return nil }
        units = numbers
    }
}

/// Runs a text through the model and shows what individual hidden units do.
struct ActivationsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "activations",
        abstract: "Run a text through the model and show what individual hidden units do: an HTML page colouring each character by a unit's state, and the units most correlated with a feature of the text.",
        discussion: """
            Give --html FILE (the page), --top N (the table), or both. \
            The text runs from a zero state, one character at a time; after each character the \
            chosen layer's state is read. The page shows the text once per unit, each character's \
            background blue for positive and red for negative values (the cell state through \
            tanh, as in Karpathy's visualisations); hovering shows the raw value.

            Units shown: --units if given, else the --top units if --top is given, else the \
            --most-varying units (highest standard deviation over the text).

            Features for --top (and the correlations in the page's headings):
              quotes         1 from an opening " to just before its closing ", else 0
              line-position  the character's column in its line, from 0
              indentation    the number of spaces and tabs that start the character's line
            """)

    @Argument(help: "The checkpoint (.h5) whose model reads the text.")
    var checkpoint: String

    @Option(help: ArgumentHelp("The text to run through the model.", valueName: "text"))
    var text: String?

    @Option(help: ArgumentHelp("A file whose text to run through the model (UTF-8, or bytes for a byte-level model).", valueName: "file"))
    var file: String?

    @Option(help: "The layer to read, from 0 (the input side). (default: the top layer)")
    var layer: Int?

    @Option(help: "The state to read: h (the layer's output) or c (an LSTM's cell state). (default: c for lstm, h otherwise)")
    var state: ActivationState?

    @Option(help: ArgumentHelp("Units to show, comma-separated, from 0 (for example 3,17,42).", valueName: "i,j,..."))
    var units: UnitList?

    @Option(help: ArgumentHelp("Without --units or --top: show this many units, those that vary most over the text.", valueName: "N"))
    var mostVarying = 8

    @Option(help: ArgumentHelp("Write the coloured text to this self-contained HTML file.", valueName: "file.html"))
    var html: String?

    @Option(help: ArgumentHelp("List the N units most correlated (either sign) with --feature.", valueName: "N"))
    var top: Int?

    @Option(help: "The text feature for --top: quotes, line-position or indentation. (default: quotes)")
    var feature: TextFeature?

    @Flag(help: "Print JSON instead of text: the units listed by --top and the units shown in the page, with mean, std and correlation.")
    var json = false

    func validate() throws {
        if (text == nil) == (file == nil) { throw ValidationError("give the text with either --text TEXT or --file FILE") }
        if html == nil && top == nil { throw ValidationError("say what to produce: --html FILE, --top N, or both") }
        if let top, top < 1 { throw ValidationError("--top must be at least 1") }
        if mostVarying < 1 { throw ValidationError("--most-varying must be at least 1") }
        if let units, units.units.isEmpty { throw ValidationError("--units needs at least one unit") }
    }

    func run() throws {
        try Console.failingCleanly(program) {
            // Batch-1 steps gain nothing from a second thread, and one thread gives the same
            // numbers on every run.
            BLASThreads.set(1)
            let loaded = try Checkpoint.read(from: checkpoint)
            let model = try loaded.makeModel()
            let config = model.config
            let probeText = try text.map { try ProbeText(text: $0, vocabulary: model.vocabulary) }
                ?? ProbeText(file: file!, vocabulary: model.vocabulary)
            let layer = self.layer ?? config.layers - 1
            let state = self.state ?? ActivationProbe.defaultState(for: config.cell)
            let probe = try ActivationProbe(model: model, layer: layer, state: state, path: checkpoint)
            if let units { try probe.checkUnits(units.units, path: checkpoint) }

            let feature = self.feature ?? (top != nil ? .quotes : nil)
            let featureValues = feature.map { $0.values(probeText.codepoints) }
            if let feature, let values = featureValues, Set(values).count < 2 {
                throw InspectionError.constantFeature(feature: feature, source: probeText.source)
            }
            // Long texts show their progress on a terminal (standard error: the results go to
            // standard output).
            let display = ProgressDisplay(quiet: false, standardError: true)
            func progress(_ pass: String) -> (Int) -> Void {
                { done in
                    let fraction = Double(done) / Double(max(1, probeText.tokens.count))
                    display.updatePeriodically("\(pass) \(ProgressDisplay.bar(fraction)) \(Int(fraction * 100))%  \(Console.grouped(done)) characters")
                }
            }
            let activity = probe.activity(probeText.tokens, feature: featureValues, progress: progress("reading the units"))
            display.finish()
            let correlated = top.map { activity.mostCorrelated($0) }

            let shown: [UnitActivity]
            let choice: String
            if let units {
                shown = units.units.map { activity[$0] }
                choice = "units chosen with --units"
            } else if let correlated {
                shown = correlated
                choice = "the \(correlated.count) units most correlated with \(feature!.title)"
            } else {
                shown = activity.mostVarying(mostVarying)
                choice = "the \(shown.count) units that vary most over the text"
            }
            let stateName = state == .c ? "cell state c (coloured by tanh(c))" : "hidden state h"
            let what = "layer \(layer) of \(config.layers), \(stateName)"

            if let html {
                let values = probe.record(probeText.tokens, units: shown.map(\.unit), progress: progress("recording the chosen units"))
                display.finish()
                let page = ActivationPage(
                    title: "Activations of \(checkpoint)",
                    notes: [
                        "\(config.cell.rawValue), \(config.layers) layer\(config.layers == 1 ? "" : "s") of \(config.hiddenSize) units; \(what)",
                        "\(probeText.tokens.count) characters from \(probeText.source), read from a zero state",
                        "showing \(choice)",
                    ],
                    state: state, unit: model.vocabulary.unit, codepoints: probeText.codepoints,
                    units: Array(zip(shown, values)).map { (activity: $0.0, values: $0.1) }, feature: feature)
                try InspectionOutput.write(page.html, to: html)
                if !json {
                    Console.writeLine("wrote \(html): \(probeText.tokens.count) characters, \(what), \(choice): \(shown.map { String($0.unit) }.joined(separator: ", "))")
                }
            }

            func unitJSON(_ a: UnitActivity) -> JSONValue {
                .object([
                    ("unit", .int(a.unit)), ("mean", .double(a.mean)), ("std", .double(a.standardDeviation)),
                    ("correlation", a.correlation.map(JSONValue.double) ?? .null),
                ])
            }
            if json {
                Console.writeLine(JSONValue.object([
                    ("file", .string(checkpoint)),
                    ("layer", .int(layer)),
                    ("state", .string(state.rawValue)),
                    ("characters", .int(probeText.tokens.count)),
                    ("feature", feature.map { .string($0.rawValue) } ?? .null),
                    ("top", correlated.map { .array($0.map(unitJSON)) } ?? .null),
                    ("html", html.map { .string($0) } ?? .null),
                    ("shown", html == nil ? .null : .array(shown.map(unitJSON))),
                ]).rendered())
            } else if let correlated, let feature {
                Console.writeLine("units of \(what) most correlated with \(feature.title) over \(probeText.tokens.count) characters:")
                var table = TextTable([("unit", .right), ("correlation", .right), ("mean", .right), ("std", .right)])
                for a in correlated {
                    table.append([String(a.unit), String(format: "%+.4f", a.correlation ?? .nan), String(format: "%.4f", a.mean), String(format: "%.4f", a.standardDeviation)])
                }
                Console.writeLine(table.lines(indent: 2).joined(separator: "\n"))
            }
        }
    }
}
