import Foundation

/// A self-contained HTML page (inline CSS, no scripts, nothing fetched) that shows a text once per
/// chosen hidden unit, each character's background coloured by the unit's state after reading it:
/// blue for positive, red for negative, white for zero. Cell states (c) are shown through tanh,
/// as in Karpathy, Johnson and Fei-Fei's "Visualizing and Understanding Recurrent Networks";
/// h is already within [-1, 1]. Hovering a character shows the raw value.
public struct ActivationPage: Sendable {
    public let title: String
    /// Lines under the title (model, layer, state, how the units were chosen).
    public let notes: [String]
    public let state: ActivationState
    public let unit: TokenUnit
    public let codepoints: [UInt32]
    /// One entry per unit shown: its activity and its value after every character.
    public let units: [(activity: UnitActivity, values: [Float])]
    public let feature: TextFeature?

    public init(
        title: String, notes: [String], state: ActivationState, unit: TokenUnit, codepoints: [UInt32],
        units: [(activity: UnitActivity, values: [Float])], feature: TextFeature?
    ) {
        self.title = title
        self.notes = notes
        self.state = state
        self.unit = unit
        self.codepoints = codepoints
        self.units = units
        self.feature = feature
    }

    /// The colour of a displayed value in [-1, 1]: white to blue (positive) or red (negative).
    static func colour(_ shown: Double) -> (background: String, lightText: Bool) {
        let a = min(1, abs(shown.isFinite ? shown : 0))
        let target: (Double, Double, Double) = shown >= 0 ? (33, 102, 172) : (178, 24, 43)
        func mix(_ t: Double) -> Int { Int((255 + (t - 255) * a).rounded()) }
        let hex = [mix(target.0), mix(target.1), mix(target.2)].map { v -> String in
            let s = String(v, radix: 16)
            return s.count == 1 ? "0" + s : s
        }.joined()
        return ("#" + hex, a > 0.6)
    }

    /// The HTML for one character: itself, escaped; newlines and tabs keep their effect and get
    /// a visible mark from CSS (so the page's text is exactly the input).
    func characterHTML(_ c: UInt32) -> (text: String, kind: String?) {
        switch c {
        case 0x0A: return ("\n", "nl")
        case 0x09: return ("\t", "tab")
        case 0x26: return ("&amp;", nil)
        case 0x3C: return ("&lt;", nil)
        case 0x3E: return ("&gt;", nil)
        case 0x22: return ("&quot;", nil)
        default:
            if unit == .byte && c >= 0x80 { return ("\\x" + String(c, radix: 16, uppercase: true), "byte") }
            if c < 0x20 || c == 0x7F || (0x80...0x9F).contains(c) { return (Vocabulary.visible(c), "control") }
            guard let scalar = Unicode.Scalar(c) else { return ("\u{FFFD}", "control") }
            return (String(Character(scalar)), nil)
        }
    }

    public var html: String {
        var s = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <title>\(LossPlot.escape(title))</title>
            <style>
            body { font-family: sans-serif; margin: 1.5em; color: #222; }
            h1 { font-size: 1.3em; }
            h2 { font-size: 1.05em; margin: 1.4em 0 0.3em; }
            p.note { margin: 0.2em 0; color: #444; }
            .legend span { display: inline-block; width: 2.2em; text-align: center; font-family: monospace; }
            .text { font-family: monospace; font-size: 14px; line-height: 1.45; white-space: pre-wrap; word-break: break-all; border: 1px solid #ddd; padding: 0.6em; }
            .ch.light { color: white; }
            .ch.nl::before { content: "\\21B5"; color: #999; }
            .ch.tab::before { content: "\\2192"; color: #999; }
            .ch.control, .ch.byte { color: #777; font-size: 0.8em; }
            </style>
            </head>
            <body>
            <h1>\(LossPlot.escape(title))</h1>

            """
        for note in notes { s += "<p class=\"note\">\(LossPlot.escape(note))</p>\n" }
        s += "<p class=\"legend\">"
        for v in stride(from: -1.0, through: 1.0, by: 0.5) {
            let c = Self.colour(v)
            s += "<span style=\"background:\(c.background)\(c.lightText ? ";color:white" : "")\">\(v > 0 ? "+" : "")\(String(format: "%g", v))</span>"
        }
        s += " \(state == .c ? "tanh(c)" : "h")</p>\n"
        let characters = codepoints.map(characterHTML)
        for entry in units {
            let a = entry.activity
            var heading = "unit \(a.unit): mean \(Format.short(a.mean)), std \(Format.short(a.standardDeviation))"
            if let feature, let r = a.correlation { heading += ", correlation with \(feature.title) \(String(format: "%+.3f", r))" }
            s += "<section class=\"unit\" id=\"unit-\(a.unit)\">\n<h2>\(LossPlot.escape(heading))</h2>\n<div class=\"text\">"
            for (t, value) in entry.values.enumerated() {
                let shown = state == .c ? tanh(Double(value)) : Double(value)
                let colour = Self.colour(shown)
                let (text, kind) = characters[t]
                var classes = "ch"
                if let kind { classes += " " + kind }
                if colour.lightText { classes += " light" }
                s += "<span class=\"\(classes)\" style=\"background:\(colour.background)\" title=\"\(Format.short(Double(value)))\">\(text)</span>"
            }
            s += "</div>\n</section>\n"
        }
        s += "</body>\n</html>\n"
        return s
    }
}
