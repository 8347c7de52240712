import Foundation
import Testing

@testable import CharRNN

/// The activation probe, the text features and the HTML page.
struct InspectionActivationTests {
    /// A one-layer model over the vocabulary of `"ab` (ids 0, 1, 2) whose recurrent weights
    /// and biases are zero, so each state depends on the current character alone.
    static func model(_ cell: CellKind, inputWeights: [Float]) throws -> Model {
        let vocabulary = Vocabulary(unit: .unicodeScalar, codepoints: [0x22, 0x61, 0x62])
        let config = ModelConfig(cell: cell, layers: 1, hiddenSize: 3, embeddingSize: 0, vocabSize: 3, dropout: 0)
        let model = try Model(config: config, vocabulary: vocabulary)
        try model.setTensor(named: "rnn.weight_ih_l0", to: inputWeights)
        return model
    }

    @Test func featuresOfAKnownText() {
        let text = "a \"b\nc\" d\n  e\tf\n\tg"
        let codepoints = text.unicodeScalars.map(\.value)
        //                                  a  ␠  "  b  ⏎  c  "  ␠  d  ⏎  ␠  ␠  e  ⇥  f  ⏎  ⇥  g
        #expect(TextFeature.quotes.values(codepoints) == [0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        #expect(TextFeature.linePosition.values(codepoints) == [0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 5, 0, 1])
        #expect(TextFeature.indentation.values(codepoints) == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 2, 2, 2, 2, 1, 1])
    }

    @Test func rnnStatesAreTanhOfTheInputColumn() throws {
        // W_ih is [3 units, 3 tokens]: unit 0 sees 1 for a quote, unit 1 sees 2 for "a" and -0.5
        // for "b", unit 2 sees nothing.
        let model = try Self.model(.rnn, inputWeights: [1, 0, 0, 0, 2, -0.5, 0, 0, 0])
        let probe = try ActivationProbe(model: model, layer: 0, state: .h, path: "m.h5")
        let text = "\"aab\"b"
        let tokens = try model.vocabulary.encode(text, source: "test")
        let recorded = probe.record(tokens, units: [0, 1, 2])
        let expected0: [Double] = [tanh(1), 0, 0, 0, tanh(1), 0]
        let expected1: [Double] = [0, tanh(2), tanh(2), tanh(-0.5), 0, tanh(-0.5)]
        for t in 0..<6 {
            #expect(abs(Double(recorded[0][t]) - expected0[t]) < 1e-6)
            #expect(abs(Double(recorded[1][t]) - expected1[t]) < 1e-6)
            #expect(recorded[2][t] == 0)
        }

        // Streaming statistics and correlation equal the direct formulas.
        let feature = TextFeature.quotes.values(text.unicodeScalars.map(\.value))
        #expect(feature == [1, 1, 1, 1, 0, 0])
        let activity = probe.activity(tokens, feature: feature)
        func pearson(_ x: [Double], _ y: [Double]) -> Double {
            let mx = x.reduce(0, +) / Double(x.count), my = y.reduce(0, +) / Double(y.count)
            let sxy = zip(x, y).map { ($0 - mx) * ($1 - my) }.reduce(0, +)
            let sxx = x.map { ($0 - mx) * ($0 - mx) }.reduce(0, +), syy = y.map { ($0 - my) * ($0 - my) }.reduce(0, +)
            return sxy / (sxx * syy).squareRoot()
        }
        func std(_ x: [Double]) -> Double {
            let m = x.reduce(0, +) / Double(x.count)
            return (x.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(x.count)).squareRoot()
        }
        #expect(abs(activity[0].correlation! - pearson(expected0, feature)) < 1e-5)
        #expect(abs(activity[1].correlation! - pearson(expected1, feature)) < 1e-5)
        #expect(activity[2].correlation == nil, "a constant unit has no correlation")
        #expect(abs(activity[1].standardDeviation - std(expected1)) < 1e-6)
        #expect(abs(activity[1].mean - expected1.reduce(0, +) / 6) < 1e-6)
        #expect(activity[2].standardDeviation == 0)
        #expect(activity.mostVarying(2).map(\.unit) == [1, 0])
        // numpy: corrcoef gives -0.25 for unit 0 and 0.4741218254258781 for unit 1.
        #expect(abs(activity[0].correlation! - -0.25) < 1e-6 && abs(activity[1].correlation! - 0.4741218254258781) < 1e-6)
        #expect(activity.mostCorrelated(3).map(\.unit) == [1, 0])
    }

    @Test func lstmCellStateIsReadWhenAsked() throws {
        // Gate rows i, f, g, o of 3 units each: only g of unit 0 sees the quote (weight 1). From
        // a zero state with zero biases: i = f = o = 1/2, so after a quote c = tanh(1)/2 and
        // h = tanh(c)/2.
        var weights = [Float](repeating: 0, count: 12 * 3)
        weights[6 * 3 + 0] = 1
        let model = try Self.model(.lstm, inputWeights: weights)
        let tokens: [Int32] = [0]
        let c = try ActivationProbe(model: model, layer: 0, state: .c, path: "m.h5").record(tokens, units: [0])[0][0]
        let h = try ActivationProbe(model: model, layer: 0, state: .h, path: "m.h5").record(tokens, units: [0])[0][0]
        #expect(abs(Double(c) - tanh(1) / 2) < 1e-6)
        #expect(abs(Double(h) - tanh(tanh(1) / 2) / 2) < 1e-6)
        #expect(ActivationProbe.defaultState(for: .lstm) == .c && ActivationProbe.defaultState(for: .gru) == .h)
    }

    @Test func probeRefusesWhatTheModelLacks() throws {
        let model = try Self.model(.gru, inputWeights: [Float](repeating: 0, count: 27))
        #expect(throws: InspectionError.self) { try ActivationProbe(model: model, layer: 1, state: .h, path: "m.h5") }
        #expect(throws: InspectionError.self) { try ActivationProbe(model: model, layer: 0, state: .c, path: "m.h5") }
        #expect(InspectionError.noCellState(path: "m.h5", cell: .rnn).description == "m.h5: an rnn model has no cell state; use --state h (c exists for lstm only)")
        #expect(CellKind.allCases.map(\.withArticle) == ["an rnn", "an lstm", "a gru"])
        let probe = try ActivationProbe(model: model, layer: 0, state: .h, path: "m.h5")
        do {
            try probe.checkUnits([1, 3, -1], path: "m.h5")
            Issue.record("units 3 and -1 accepted")
        } catch {
            #expect(error.description == "m.h5: no units 3, -1; a layer has 3 units, numbered 0 to 2")
        }
        #expect(throws: InspectionError.self) { try ProbeText(text: "", vocabulary: model.vocabulary) }
        #expect(throws: CorpusError.self) { try ProbeText(text: "abc", vocabulary: model.vocabulary) }
    }

    @Test func pageHoldsEveryCharacterInOrderEscaped() throws {
        let text = "<a href=\"x\">&amp;</a>\n\tnext 'line' \u{7}é"
        let codepoints = text.unicodeScalars.map(\.value)
        let values: [Float] = codepoints.indices.map { Float($0) / 10 - 1 }
        let activity = UnitActivity(unit: 7, mean: 0.5, standardDeviation: 0.25, correlation: 0.75)
        let page = ActivationPage(
            title: "Activations of <model>", notes: ["note & more"], state: .h, unit: .unicodeScalar, codepoints: codepoints,
            units: [(activity, values), (UnitActivity(unit: 2, mean: 0, standardDeviation: 0, correlation: nil), values)],
            feature: .quotes)
        let html = page.html
        #expect(html.contains("<title>Activations of &lt;model&gt;</title>"))
        #expect(!html.contains("<script") && !html.contains("http://") && !html.contains("https://") && !html.contains("<link"))
        #expect(html.contains("unit 7: mean 0.5, std 0.25, correlation with inside quotes +0.750"))

        // The characters of the first unit's section, unescaped, are the text (the bell shown as U+0007).
        let section = html.components(separatedBy: "<section")[1]
        var shown = ""
        var rest = Substring(section)
        while let open = rest.range(of: "<span class=\"ch") {
            let afterTag = rest[open.upperBound...].range(of: "\">")!.upperBound
            let close = rest[afterTag...].range(of: "</span>")!
            shown += rest[afterTag..<close.lowerBound]
            rest = rest[close.upperBound...]
        }
        let unescaped = shown.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&amp;", with: "&")
        #expect(unescaped == text.replacingOccurrences(of: "\u{7}", with: "U+0007"))
        // Newlines stay newlines (pre-wrap) and get a visible mark from CSS.
        #expect(section.contains("<span class=\"ch nl light\" style=\"background:#2166ac\" title=\"1.1\">\n</span>"))
        #expect(html.contains(".ch.nl::before"))
        // -1 is full red, +1 full blue, 0 white.
        #expect(ActivationPage.colour(-1).background == "#b2182b" && ActivationPage.colour(1).background == "#2166ac")
        #expect(ActivationPage.colour(0).background == "#ffffff" && !ActivationPage.colour(0).lightText)
        #expect(ActivationPage.colour(3).background == "#2166ac", "values beyond 1 are clamped")
    }
}
