import Foundation
import Testing

@testable import CharRNN

/// The inspector's building blocks: tensor statistics, JSON, tables and the export formats.
struct InspectionStatisticsTests {
    @Test func statisticsOfKnownValues() {
        // Finite values 0, -1, 2, 3, 0, 4: mean 4/3, squared deviations (16 + 49 + 4 + 25 + 16 +
        // 64) / 9 = 174/9, population variance 29/9; min -1, max 4; one NaN, two infinities.
        let values: [Float] = [0, -1, 2, .nan, 3, 0, .infinity, 4, -.infinity]
        let s = TensorStatistics(values, bins: 5)
        let finite: [Double] = [0, -1, 2, 3, 0, 4]
        let mean = finite.reduce(0, +) / 6
        let variance = finite.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 6
        #expect(s.count == 9)
        #expect(s.finiteCount == 6)
        #expect(abs(s.mean! - 4.0 / 3.0) < 1e-15 && abs(s.mean! - mean) < 1e-15)
        #expect(abs(s.standardDeviation! - variance.squareRoot()) < 1e-15)
        #expect(abs(s.standardDeviation! - (29.0 / 9).squareRoot()) < 1e-15)
        #expect(s.minimum == -1 && s.maximum == 4)
        #expect(s.zeroCount == 2 && s.nanCount == 1 && s.infinityCount == 2)
        #expect(abs(s.zeroFraction - 2.0 / 9.0) < 1e-15)
        // Bins of width 1 from -1: [-1,0) holds -1; [0,1) two zeros; [1,2) none; [2,3) 2; [3,4] 3 and 4.
        #expect(s.histogram == [1, 2, 0, 1, 2])
        #expect(s.sparkline == "▄█ ▄█")
    }

    @Test func statisticsWithoutFiniteValues() {
        let s = TensorStatistics([Float.nan, .nan, .infinity])
        #expect(s.mean == nil && s.standardDeviation == nil && s.minimum == nil && s.maximum == nil)
        #expect(s.nanCount == 2 && s.infinityCount == 1)
        #expect(s.histogram.allSatisfy { $0 == 0 })
        let json = s.json.rendered()
        #expect(json.contains("\"mean\": null"))
        #expect(json.contains("\"nan\": 2"))
        // A constant tensor puts everything into the first bin.
        let constant = TensorStatistics([Float](repeating: 0.5, count: 7), bins: 4)
        #expect(constant.histogram == [7, 0, 0, 0])
        #expect(constant.standardDeviation == 0)
    }

    @Test func jsonIsStableAndValid() throws {
        let value = JSONValue.object([
            ("name", .string("tab\there \"quoted\" \\ new\nline \u{01} é")),
            ("int", .int(Int64.max)),
            ("float", .float(0.1)),
            ("double", .double(1e-8)),
            ("nan", .double(.nan)),
            ("inf", .float(-.infinity)),
            ("list", .array([.int(1), .int(2)])),
            ("nested", .array([.object([("a", .bool(true))])])),
            ("empty", .object([])),
        ])
        let text = value.rendered()
        #expect(text == """
            {
              "name": "tab\\there \\"quoted\\" \\\\ new\\nline \\u0001 é",
              "int": 9223372036854775807,
              "float": 0.1,
              "double": 1e-08,
              "nan": null,
              "inf": null,
              "list": [1, 2],
              "nested": [
                {
                  "a": true
                }
              ],
              "empty": {}
            }
            """)
        // Foundation's parser agrees that it is JSON and reads the values back.
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(parsed["name"] as? String == "tab\there \"quoted\" \\ new\nline \u{01} é")
        #expect((parsed["float"] as? NSNumber)?.floatValue == Float(0.1))
        #expect(parsed["nan"] is NSNull)
    }

    @Test func tablesAlignColumns() {
        var table = TextTable([("name", .left), ("count", .right)])
        table.append(["a", "1,234"])
        table.append(["longer name", "5"])
        #expect(table.lines(indent: 2) == [
            "  name         count",
            "  a            1,234",
            "  longer name      5",
        ])
    }

    @Test func vocabularyEscapesCombiningAndZeroWidthCharacters() {
        // A combining acute accent, an enclosing circle, a zero-width joiner, a variation
        // selector and a Devanagari vowel sign would each draw onto the column before them.
        let corpus = Corpus.from(text: "cafe\u{0301} caf\u{E9} 1\u{20DD} a\u{200D}b \u{2764}\u{FE0F} \u{0915}\u{093E}\n")
        let report = VocabularyReport(vocabulary: corpus.vocabulary)
        let shown = Dictionary(uniqueKeysWithValues: corpus.vocabulary.codepoints.map { ($0, Vocabulary.visible($0)) })
        for mark: UInt32 in [0x0301, 0x20DD, 0x200D, 0xFE0F, 0x093E] {
            #expect(shown[mark] == String(format: "U+%04X", mark), "\(shown[mark] ?? "absent")")
        }
        #expect(shown[0xE9] == "\u{E9}" && shown[0x2764] == "\u{2764}" && shown[0x0915] == "\u{0915}" && shown[0x61] == "a")
        let lines = report.table.lines()
        #expect(lines[0] == "id  char    code    count   share")
        #expect(lines[10] == " 9  U+0301  U+0301      1   4.17%")
        #expect(lines[9] == " 8  \u{E9}       U+00E9      1   4.17%")
        // No row holds a mark, so every row's code column starts under the header's "code".
        let column = lines[0].distance(from: lines[0].startIndex, to: lines[0].range(of: "code")!.lowerBound)
        for line in lines.dropFirst() {
            let scalars = Array(line.unicodeScalars)
            #expect(!scalars.contains { $0.properties.generalCategory == .nonspacingMark || $0.properties.isGraphemeExtend }, "\(line)")
            #expect(String(String.UnicodeScalarView(scalars[column..<column + 2])) == "U+", "\(line)")
        }
    }

    @Test func npyHeaderAndDataFollowFormatOne() {
        let data = TensorExport.npy([Float(1), -2.5, 0, .nan, 3, 4], shape: [2, 3])
        let bytes = [UInt8](data)
        #expect(Array(bytes[0..<8]) == [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0])
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        #expect((10 + headerLength) % 64 == 0)
        let header = String(decoding: bytes[10..<10 + headerLength], as: UTF8.self)
        #expect(header.hasPrefix("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"))
        #expect(header.hasSuffix("\n"))
        #expect(data.count == 10 + headerLength + 6 * 4)
        let payload = Array(bytes[(10 + headerLength)...])
        let floats = stride(from: 0, to: payload.count, by: 4).map {
            Float(bitPattern: UInt32(payload[$0]) | UInt32(payload[$0 + 1]) << 8 | UInt32(payload[$0 + 2]) << 16 | UInt32(payload[$0 + 3]) << 24)
        }
        #expect(floats[0] == 1 && floats[1] == -2.5 && floats[2] == 0 && floats[3].isNaN && floats[5] == 4)
        // One dimension is spelled with a trailing comma, as Python writes a 1-tuple.
        let vector = [UInt8](TensorExport.npy([Float(1), 2], shape: [2]))
        let vectorHeader = String(decoding: vector[10..<10 + (Int(vector[8]) | Int(vector[9]) << 8)], as: UTF8.self)
        #expect(vectorHeader.contains("'shape': (2,), }"))
    }

    @Test func csvHasOneLinePerRowOfTheLastDimension() {
        let matrix = String(decoding: TensorExport.csv([Float(1), 0.1, -3, .nan, .infinity, 1e-20], shape: [2, 3]), as: UTF8.self)
        #expect(matrix == "1.0,0.1,-3.0\nnan,inf,1e-20\n")
        let cube = String(decoding: TensorExport.csv((0..<8).map(Float.init), shape: [2, 2, 2]), as: UTF8.self)
        #expect(cube == "0.0,1.0\n2.0,3.0\n4.0,5.0\n6.0,7.0\n")
        let vector = String(decoding: TensorExport.csv([Float(5), 6], shape: [2]), as: UTF8.self)
        #expect(vector == "5.0\n6.0\n")
        #expect(TensorExport.FileFormat(fileName: "x.NPY") == .npy && TensorExport.FileFormat(fileName: "a.csv") == .csv)
        #expect(TensorExport.FileFormat(fileName: "a.txt") == nil)
    }

    @Test func tensorsAreFoundByFileNameOrPyTorchName() throws {
        let corpus = Corpus.from(text: "abcabcabd")
        let config = ModelConfig(cell: .gru, layers: 2, hiddenSize: 3, embeddingSize: 2, vocabSize: corpus.vocabulary.count, dropout: 0)
        let table = ParameterTable(config: config)
        let parameters = (0..<table.totalCount).map(Float.init)
        let checkpoint = Checkpoint(createdBy: "t", createdUTC: "", config: config, vocabulary: corpus.vocabulary, parameters: parameters, training: nil)
        let names = checkpoint.inspectedTensors.map(\.name)
        #expect(names == table.entries.map { "model/" + $0.name })
        let byShortName = try checkpoint.inspectedTensor(named: "rnn.weight_hh_l1", path: "c.h5")
        let byPath = try checkpoint.inspectedTensor(named: "/model/rnn.weight_hh_l1", path: "c.h5")
        let spec = table["rnn.weight_hh_l1"]!
        #expect(byShortName.name == "model/rnn.weight_hh_l1" && byPath.shape == [9, 3])
        #expect(Array(byShortName.values) == (spec.offset..<spec.offset + spec.count).map(Float.init))
        // A typo gets a suggestion; a name far from every tensor does not.
        #expect(throws: InspectionError.self) { try checkpoint.inspectedTensor(named: "decoder.wieght", path: "c.h5") }
        do {
            _ = try checkpoint.inspectedTensor(named: "decoder.wieght", path: "c.h5")
        } catch {
            #expect(error.description == "c.h5: no tensor named \"decoder.wieght\"; did you mean \"model/decoder.weight\"? (rnn-inspect c.h5 --tensors lists them)")
        }
        do {
            _ = try checkpoint.inspectedTensor(named: "attention", path: "c.h5")
        } catch {
            #expect(error.description == "c.h5: no tensor named \"attention\" (rnn-inspect c.h5 --tensors lists them)")
        }
    }

    @Test func summaryGroupsParameters() throws {
        let corpus = Corpus.from(text: "hello world, hello")
        let config = ModelConfig(cell: .lstm, layers: 2, hiddenSize: 4, embeddingSize: 3, vocabSize: corpus.vocabulary.count, dropout: 0)
        let table = ParameterTable(config: config)
        let checkpoint = Checkpoint(
            createdBy: "t", createdUTC: "", config: config, vocabulary: corpus.vocabulary,
            parameters: [Float](repeating: 1, count: table.totalCount), training: nil)
        let v = corpus.vocabulary.count
        let groups = CheckpointSummary(checkpoint: checkpoint, path: "m.h5").parameterGroups
        // encoder V*E; layer 0: 16*3 + 16*4 + 16 + 16; layer 1: 16*4 * 2 + 32; decoder V*4 + V.
        #expect(groups == [
            .init(name: "encoder", count: v * 3), .init(name: "rnn layer 0", count: 48 + 64 + 32),
            .init(name: "rnn layer 1", count: 64 + 64 + 32), .init(name: "decoder", count: v * 5),
        ])
        #expect(groups.reduce(0) { $0 + $1.count } == table.totalCount)
        let lines = CheckpointSummary(checkpoint: checkpoint, path: "m.h5").lines
        #expect(lines.contains("training"))
        #expect(lines.contains { $0.contains("model only") })
    }
}
