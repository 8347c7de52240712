/// A live progress line made of parts that give way, least important first, when the terminal is
/// narrower than the whole line: a part shrinks to a shorter form or is left out, and the line is
/// cut at the edge only when nothing is left to give.
public struct ProgressLine: Sendable, Equatable {
    /// Each part's forms, fullest first; an empty form leaves the part out.
    public var parts: [[String]]
    /// Indices into `parts`, least important first: each entry moves that part to its next form.
    public var giveWay: [Int]

    public init(parts: [[String]], giveWay: [Int] = []) {
        precondition(parts.allSatisfy { !$0.isEmpty }, "every part needs a form")
        precondition(giveWay.allSatisfy { parts.indices.contains($0) }, "giveWay names a part the line lacks")
        self.parts = parts
        self.giveWay = giveWay
    }

    /// A line of one part, cut at the edge when too wide.
    public init(_ text: String) { self.init(parts: [[text]]) }

    public static let separator = "  "

    /// Every part in its fullest form (for logs, which have no width).
    public var full: String { render(Array(repeating: 0, count: parts.count)) }

    /// The fullest line that fits in `width` characters.
    public func fitted(to width: Int) -> String {
        var form = Array(repeating: 0, count: parts.count)
        var line = render(form)
        for part in giveWay where line.count > width && form[part] + 1 < parts[part].count {
            form[part] += 1
            line = render(form)
        }
        return line.count > width ? String(line.prefix(max(0, width))) : line
    }

    private func render(_ form: [Int]) -> String {
        zip(parts, form).map { $0[$1] }.filter { !$0.isEmpty }.joined(separator: Self.separator)
    }
}

extension ProgressLine {
    /// rnn-train's live line. On a narrow terminal the epoch's bar goes first, then the validation
    /// loss, the epoch, the planned total and the speed's last digits, so that iteration, loss,
    /// speed and ETA stay.
    public static func training(
        epoch: Double, iteration: Int, of total: Int, loss: Double, validationLoss: Double,
        charactersPerSecond: Double, secondsLeft: Double
    ) -> ProgressLine {
        let epochText = "epoch \(String(format: "%.2f", epoch))"
        let bar = ProgressDisplay.bar(epoch - epoch.rounded(.down), width: 12)
        let rate = Int(charactersPerSecond)
        return ProgressLine(
            parts: [
                ["\(epochText) \(bar)", epochText, ""],
                ["iter \(iteration)/\(total)", "iter \(iteration)"],
                ["loss \(Console.fixed(loss))"],
                ["val \(Console.fixed(validationLoss))", ""],
                ["\(Console.grouped(rate)) chars/s", "\(Console.compact(rate)) chars/s"],
                ["ETA \(Console.duration(secondsLeft))"],
            ],
            giveWay: [0, 3, 0, 1, 4])
    }
}
