import Foundation
import Testing

#if canImport(FoundationXML)
    import FoundationXML
#endif

@testable import CharRNN

/// The SVG loss plot.
struct InspectionPlotTests {
    /// The elements of an XML document (which must parse), with their attributes and text.
    final class Elements: NSObject, XMLParserDelegate {
        var found: [(name: String, attributes: [String: String])] = []
        var text = ""
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            found.append((name, attributes))
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

        static func parse(_ svg: String) throws -> Elements {
            let elements = Elements()
            let parser = XMLParser(data: Data(svg.utf8))
            parser.delegate = elements
            guard parser.parse() else { throw CheckpointError.invalid(path: "svg", object: "/", problem: "\(parser.parserError.map { "\($0)" } ?? "not XML")") }
            return elements
        }

        func element(id: String) -> [String: String]? { found.first { $0.attributes["id"] == id }?.attributes }
    }

    static func history(_ n: Int, validationEvery: Int) -> LossHistory {
        var h = LossHistory()
        for i in 1...n {
            h.steps.append(Int64(i))
            h.trainLoss.append(4 / Float(i).squareRoot() + 1)
            h.elapsed.append(Float(i) * 0.1)
            if i % validationEvery == 0 {
                h.validationSteps.append(Int64(i))
                h.validationLoss.append(4.5 / Float(i).squareRoot() + 1.2)
            }
        }
        return h
    }

    @Test func svgIsXMLWithBothCurvesAxesAndLegend() throws {
        let svg = LossPlot(history: Self.history(50, validationEvery: 10), title: "Loss of <run> & co").svg
        let elements = try Elements.parse(svg)
        #expect(elements.found.first?.name == "svg")
        let train = try #require(elements.element(id: "train-loss"))
        let validation = try #require(elements.element(id: "validation-loss"))
        // One point per iteration and per evaluation: a move, then lines.
        #expect(train["d"]!.filter { $0 == "M" }.count == 1 && train["d"]!.filter { $0 == "L" }.count == 49)
        #expect(validation["d"]!.filter { $0 == "L" }.count == 4)
        #expect(train["stroke"] != validation["stroke"], "the curves are told apart by colour")
        #expect(elements.found.filter { $0.name == "circle" }.count == 5 + 1, "a dot per evaluation and one in the legend")
        #expect(elements.text.contains("iteration") && elements.text.contains("loss (nats per character)"))
        #expect(elements.text.contains("training loss (50 iterations)") && elements.text.contains("validation loss (5 evaluations)"))
        #expect(elements.text.contains("Loss of <run> & co"))
        #expect(elements.element(id: "axes") != nil && elements.element(id: "ticks") != nil)

        // The first training point is at the left edge and the highest loss at the top margin.
        let first = train["d"]!.dropFirst().split(separator: " ")[0].split(separator: ",").map { Double($0)! }
        #expect(first[0] == 80)
        // y range: losses 1.566 (train at 50)... 5 (train at 1), padded by 5%.
        let high = 5.0, low = Double(4 / Float(50).squareRoot() + 1)
        let pad = (high - low) * 0.05
        let expectedY = 480 - 64 - (high - (low - pad)) / ((high + pad) - (low - pad)) * (480 - 64 - 48)
        #expect(abs(first[1] - expectedY) < 0.006)
    }

    @Test func longHistoriesAreThinnedAndGapsKept() throws {
        var history = Self.history(10_000, validationEvery: 1000)
        history.trainLoss[5000] = .nan
        let elements = try Elements.parse(LossPlot(history: history, title: "t").svg)
        let d = try #require(elements.element(id: "train-loss")?["d"])
        let points = d.filter { $0 == "M" || $0 == "L" }.count
        #expect(points <= (800 - 80 - 24) * 2 + 2 && points > 1000)
        #expect(d.filter { $0 == "M" }.count == 2, "a NaN loss breaks the line once")
        #expect(LossPlot.thinned([(1, 1), (2, 3), (3, 5), (4, 7)], limit: 2).map(\.y) == [2, 6])
    }

    @Test func ticksAreRound() {
        #expect(LossPlot.ticks(0, 10) == [0, 2, 4, 6, 8, 10])
        #expect(LossPlot.ticks(1.23, 1.91) == [1.4, 1.6, 1.8])
        #expect(LossPlot.ticks(1.23, 1.45) == [1.25, 1.3, 1.35, 1.4, 1.45])
        #expect(LossPlot.ticks(0, 25_000) == [0, 5000, 10000, 15000, 20000, 25000])
    }

    @Test func emptyHistoryStillMakesAPicture() throws {
        let elements = try Elements.parse(LossPlot(history: LossHistory(), title: "nothing yet").svg)
        #expect(elements.element(id: "train-loss") == nil)
        #expect(elements.text.contains("no losses recorded"))
    }
}
