import Foundation

/// The loss curves of a training run as a standalone SVG picture: training loss per iteration (a
/// thin blue line), validation loss per evaluation (a thicker orange line with a dot at each
/// evaluation), axes with ticks and labels, and a legend.
///
/// Long histories are drawn with at most two points per pixel column: each point is the mean
/// of a run of consecutive iterations. Non-finite losses leave a gap in the line.
public struct LossPlot: Sendable {
    public let history: LossHistory
    public let title: String
    public var width = 800.0
    public var height = 480.0

    public init(history: LossHistory, title: String) {
        self.history = history
        self.title = title
    }

    // Room for the tick labels on the left and the axis label below.
    private let left = 80.0, right = 24.0, top = 48.0, bottom = 64.0

    struct Scale {
        let low: Double, high: Double, from: Double, to: Double
        func callAsFunction(_ x: Double) -> Double { from + (x - low) / (high - low) * (to - from) }
    }

    /// Round tick values (1, 2 or 5 times a power of ten) covering `low...high`, each the double
    /// nearest to its decimal (so 1.4 is 1.4, not 7 x 0.2).
    static func ticks(_ low: Double, _ high: Double, count: Int = 6) -> [Double] {
        let span = high - low
        guard span > 0, span.isFinite else { return [low] }
        let raw = span / Double(count)
        let exponent = Int(floor(log10(raw)))
        let magnitude = pow(10, Double(exponent))
        let multiple = [1, 2, 5].first { Double($0) * magnitude >= raw } ?? 10
        let step = Double(multiple) * magnitude
        // A tick on an end stays, however the division rounds.
        let first = Int((low / step - 1e-9).rounded(.up)), last = Int((high / step + 1e-9).rounded(.down))
        guard first <= last else { return [] }
        return (first...last).map { Double("\($0 * multiple)e\(exponent)")! }
    }

    /// Consecutive points averaged in groups so that at most `limit` remain (non-finite values
    /// pass through unaveraged, as gaps).
    static func thinned(_ points: [(x: Double, y: Double)], limit: Int) -> [(x: Double, y: Double)] {
        guard points.count > limit, limit > 0 else { return points }
        let group = Int((Double(points.count) / Double(limit)).rounded(.up))
        var out: [(x: Double, y: Double)] = []
        var start = 0
        while start < points.count {
            let slice = points[start..<min(start + group, points.count)]
            let finite = slice.filter { $0.y.isFinite }
            if finite.count < slice.count { out.append((slice.last!.x, .nan)) }
            if !finite.isEmpty {
                out.append((finite.map(\.x).reduce(0, +) / Double(finite.count), finite.map(\.y).reduce(0, +) / Double(finite.count)))
            }
            start += group
        }
        return out
    }

    /// The SVG document.
    public var svg: String {
        let train = zip(history.steps, history.trainLoss).map { (x: Double($0), y: Double($1)) }
        let validation = zip(history.validationSteps, history.validationLoss).map { (x: Double($0), y: Double($1)) }
        let all = train + validation
        let xs = all.map(\.x), ys = all.map(\.y).filter(\.isFinite)
        var xLow = xs.min() ?? 0, xHigh = xs.max() ?? 1
        if xHigh <= xLow { xLow -= 1; xHigh += 1 }
        var yLow = ys.min() ?? 0, yHigh = ys.max() ?? 1
        let pad = yHigh > yLow ? (yHigh - yLow) * 0.05 : max(abs(yHigh) * 0.05, 0.5)
        yLow -= pad
        yHigh += pad
        let x = Scale(low: xLow, high: xHigh, from: left, to: width - right)
        let y = Scale(low: yLow, high: yHigh, from: height - bottom, to: top)

        var s = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Self.n(width))" height="\(Self.n(height))" viewBox="0 0 \(Self.n(width)) \(Self.n(height))" font-family="sans-serif" font-size="12">
            <title>\(Self.escape(title))</title>
            <rect x="0" y="0" width="\(Self.n(width))" height="\(Self.n(height))" fill="white"/>
            <text x="\(Self.n(width / 2))" y="24" text-anchor="middle" font-size="15">\(Self.escape(title))</text>

            """
        // Grid, ticks and tick labels.
        s += "<g id=\"axes\" stroke=\"#888\" stroke-width=\"1\">\n"
        s += "<line x1=\"\(Self.n(left))\" y1=\"\(Self.n(height - bottom))\" x2=\"\(Self.n(width - right))\" y2=\"\(Self.n(height - bottom))\"/>\n"
        s += "<line x1=\"\(Self.n(left))\" y1=\"\(Self.n(top))\" x2=\"\(Self.n(left))\" y2=\"\(Self.n(height - bottom))\"/>\n"
        s += "</g>\n<g id=\"ticks\" fill=\"#333\">\n"
        for t in Self.ticks(xLow, xHigh) {
            let px = Self.n(x(t))
            s += "<line x1=\"\(px)\" y1=\"\(Self.n(height - bottom))\" x2=\"\(px)\" y2=\"\(Self.n(height - bottom + 5))\" stroke=\"#888\"/>"
            s += "<text x=\"\(px)\" y=\"\(Self.n(height - bottom + 19))\" text-anchor=\"middle\">\(Self.label(t))</text>\n"
        }
        for t in Self.ticks(yLow, yHigh) {
            let py = Self.n(y(t))
            s += "<line x1=\"\(Self.n(left))\" y1=\"\(py)\" x2=\"\(Self.n(width - right))\" y2=\"\(py)\" stroke=\"#eee\"/>"
            s += "<text x=\"\(Self.n(left - 8))\" y=\"\(Self.n(y(t) + 4))\" text-anchor=\"end\">\(Self.label(t))</text>\n"
        }
        s += "</g>\n"
        s += "<text id=\"x-label\" x=\"\(Self.n((left + width - right) / 2))\" y=\"\(Self.n(height - 18))\" text-anchor=\"middle\">iteration</text>\n"
        s += "<text id=\"y-label\" transform=\"translate(20 \(Self.n((top + height - bottom) / 2))) rotate(-90)\" text-anchor=\"middle\">loss (nats per character)</text>\n"

        // The curves.
        let columns = Int(width - left - right) * 2
        func path(_ points: [(x: Double, y: Double)]) -> String {
            var d = "", pen = false
            for p in points {
                guard p.y.isFinite else { pen = false; continue }
                d += (pen ? " L" : (d.isEmpty ? "M" : " M")) + "\(Self.n(x(p.x))),\(Self.n(y(p.y)))"
                pen = true
            }
            return d
        }
        if !train.isEmpty {
            s += "<path id=\"train-loss\" class=\"train\" d=\"\(path(Self.thinned(train, limit: columns)))\" fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.2\" stroke-linejoin=\"round\"/>\n"
        }
        if !validation.isEmpty {
            s += "<path id=\"validation-loss\" class=\"validation\" d=\"\(path(validation))\" fill=\"none\" stroke=\"#ff7f0e\" stroke-width=\"2.5\" stroke-linejoin=\"round\"/>\n"
            s += "<g id=\"validation-points\" fill=\"#ff7f0e\">\n"
            for p in validation where p.y.isFinite {
                s += "<circle cx=\"\(Self.n(x(p.x)))\" cy=\"\(Self.n(y(p.y)))\" r=\"3.5\"><title>iteration \(Int(p.x)): \(Format.fixed(p.y))</title></circle>\n"
            }
            s += "</g>\n"
        }
        if train.isEmpty && validation.isEmpty {
            s += "<text x=\"\(Self.n(width / 2))\" y=\"\(Self.n(height / 2))\" text-anchor=\"middle\" fill=\"#888\">no losses recorded</text>\n"
        }

        // Legend, top right.
        let lx = width - right - 250, ly = top + 8
        s += "<g id=\"legend\">\n"
        s += "<rect x=\"\(Self.n(lx - 8))\" y=\"\(Self.n(ly - 6))\" width=\"250\" height=\"44\" fill=\"white\" fill-opacity=\"0.85\" stroke=\"#ccc\"/>\n"
        s += "<line x1=\"\(Self.n(lx))\" y1=\"\(Self.n(ly + 6))\" x2=\"\(Self.n(lx + 24))\" y2=\"\(Self.n(ly + 6))\" stroke=\"#1f77b4\" stroke-width=\"1.2\"/>"
        s += "<text x=\"\(Self.n(lx + 32))\" y=\"\(Self.n(ly + 10))\">training loss (\(Format.count(train.count, "iteration")))</text>\n"
        s += "<line x1=\"\(Self.n(lx))\" y1=\"\(Self.n(ly + 26))\" x2=\"\(Self.n(lx + 24))\" y2=\"\(Self.n(ly + 26))\" stroke=\"#ff7f0e\" stroke-width=\"2.5\"/>"
        s += "<circle cx=\"\(Self.n(lx + 12))\" cy=\"\(Self.n(ly + 26))\" r=\"3.5\" fill=\"#ff7f0e\"/>"
        s += "<text x=\"\(Self.n(lx + 32))\" y=\"\(Self.n(ly + 30))\">validation loss (\(Format.count(validation.count, "evaluation")))</text>\n"
        s += "</g>\n</svg>\n"
        return s
    }

    /// A coordinate with two decimals and no trailing zeros.
    static func n(_ v: Double) -> String {
        var text = String(format: "%.2f", v)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text == "-0" ? "0" : text
    }

    static func label(_ v: Double) -> String { String(format: "%g", v) }

    /// Text for XML character data and attribute values.
    static func escape(_ text: String) -> String {
        var out = ""
        for ch in text.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                // XML 1.0 forbids most control characters even when escaped.
                if ch.value < 0x20 && ch != "\n" && ch != "\t" && ch != "\r" { out += "\u{FFFD}" } else { out.unicodeScalars.append(ch) }
            }
        }
        return out
    }
}
