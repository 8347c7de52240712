import Foundation
import Testing

/// rnn-inspect as a user runs it, its figures checked against h5py and numpy
/// (Tools/inspect_reference.py).
struct InspectProgramTests {
    /// A text with double quotes, indentation, tabs and the characters HTML escapes.
    static let codeText: String = (0..<60).map { i in
        "def f\(i % 7)(x):\n    say \"value <\(i % 10)> & more\"\n    if x > \(i % 5):\n        return \"yes\"\n\treturn 'no'\n"
    }.joined()

    /// Trains a small model in `folder` and returns its latest checkpoint.
    static func train(_ folder: URL, cell: String = "lstm", embedding: Int = 0, layers: Int = 2, iterations: Int = 12, corpus: String? = nil) throws -> String {
        let data = corpus ?? Programs.fixture("multilingual.txt")
        let result = try Programs.run("rnn-train", [
            "--data", data, "--cell", cell, "--layers", "\(layers)", "--hidden-size", "16", "--embedding-size", "\(embedding)",
            "--batch-size", "4", "--seq-length", "16", "--optimizer", "adam", "--learning-rate", "0.01", "--val-fraction", "0.2",
            "--eval-every", "5", "--sample-every", "0", "--print-every", "100", "--threads", "1", "--seed", "3",
            "--max-iterations", "\(iterations)", "--checkpoint-dir", folder.appendingPathComponent("run").path,
        ])
        #expect(result.status == 0, "\(result.errors)")
        return folder.appendingPathComponent("run/latest.h5").path
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not a JSON object: \(text.prefix(300))")
    }

    static func inspect(_ arguments: [String]) throws -> ProgramResult {
        let result = try Programs.run("rnn-inspect", arguments)
        #expect(!result.signaled, "\(arguments)")
        return result
    }

    static func python(_ script: String) throws -> String {
        let result = try Programs.runPython(["-c", "import h5py, numpy as np, json, sys\n" + script])
        #expect(result.status == 0, "\(result.errors)")
        return result.output
    }

    static func close(_ a: Any?, _ b: Any?, _ tolerance: Double = 1e-9) -> Bool {
        if a is NSNull || a == nil { return b is NSNull || b == nil }
        guard let x = (a as? NSNumber)?.doubleValue, let y = (b as? NSNumber)?.doubleValue else { return false }
        return abs(x - y) <= tolerance * max(1, abs(y))
    }

    // MARK: The summary and views against numpy

    @Test(arguments: [("lstm", 5), ("gru", 0), ("rnn", 0)])
    func jsonFiguresEqualNumpys(_ cell: String, _ embedding: Int) throws {
        let folder = try Programs.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let checkpoint = try Self.train(folder, cell: cell, embedding: embedding)
        let reference = try Self.json(try Programs.runPython([Programs.repository.appendingPathComponent("Tools/inspect_reference.py").path, checkpoint]).output)

        let summaryRun = try Self.inspect([checkpoint, "--json"])
        #expect(summaryRun.status == 0, "\(summaryRun.errors)")
        let document = try Self.json(summaryRun.output)
        #expect(document["file"] as? String == checkpoint)
        let summary = try #require(document["summary"] as? [String: Any])
        let parameters = try #require(summary["parameters"] as? [String: Any])
        let expected = try #require(reference["parameters"] as? [String: Any])
        #expect(parameters["total"] as? Int == expected["total"] as? Int)
        let groups = try #require(parameters["groups"] as? [[String: Any]])
        let expectedGroups = try #require(expected["groups"] as? [String: Int])
        #expect(groups.map { $0["name"] as! String } == ["encoder", "rnn layer 0", "rnn layer 1", "decoder"])
        for group in groups { #expect(group["count"] as? Int == expectedGroups[group["name"] as! String], "\(group)") }
        #expect((summary["model"] as? [String: Any])?["cell"] as? String == cell)

        let training = try #require(summary["training"] as? [String: Any])
        let optimizer = try #require(summary["optimizer"] as? [String: Any])
        let referenceTraining = try #require(reference["training"] as? [String: Any])
        #expect(training["iteration"] as? Int == 12 && referenceTraining["iteration"] as? Int == 12)
        for key in ["epoch", "characters_seen"] { #expect(training[key] as? Int == referenceTraining[key] as? Int, "\(key)") }
        #expect(optimizer["step"] as? Int == referenceTraining["optimizer_step"] as? Int)
        #expect(Self.close(optimizer["learning_rate"], referenceTraining["learning_rate"], 0))
        #expect(Self.close(training["learning_rate"], referenceTraining["learning_rate"], 0))
        #expect(Self.close(training["last_train_loss"], referenceTraining["last_train_loss"], 1e-7))
        #expect(Self.close(training["best_val_loss"], referenceTraining["best_val_loss"], 0))
        #expect((summary["data"] as? [String: Any])?["corpus_length"] as? Int == referenceTraining["corpus_length"] as? Int)
        let hidden = try #require(summary["hidden_state"] as? [String: Any])
        #expect(hidden["shape"] as? [Int] == [2, 4, 16])
        let referenceTensors = try #require(reference["tensors"] as? [String: [String: Any]])
        let h = try #require(hidden["h"] as? [String: Any])
        #expect(Self.close(h["mean"], referenceTensors["train/hidden/h"]?["mean"], 1e-12))
        #expect((hidden["c"] is NSNull) == (cell != "lstm"))

        // --tensors and --vocab in one document.
        let views = try Self.inspect([checkpoint, "--tensors", "--vocab", "--json"])
        #expect(views.status == 0, "\(views.errors)")
        let viewDocument = try Self.json(views.output)
        let tensors = try #require(viewDocument["tensors"] as? [[String: Any]])
        #expect(Set(tensors.map { $0["name"] as! String }) == Set(referenceTensors.keys))
        #expect(tensors.count == referenceTensors.count && tensors.count > 20)
        for tensor in tensors {
            let name = tensor["name"] as! String
            let numpy = try #require(referenceTensors[name])
            #expect(tensor["shape"] as? [Int] == numpy["shape"] as? [Int], "\(name)")
            for key in ["count", "zeros", "nan", "inf"] { #expect(tensor[key] as? Int == numpy[key] as? Int, "\(name) \(key)") }
            #expect(Self.close(tensor["mean"], numpy["mean"], 1e-9), "\(name) mean \(tensor["mean"]!) vs \(numpy["mean"]!)")
            #expect(Self.close(tensor["std"], numpy["std"], 1e-9), "\(name) std \(tensor["std"]!) vs \(numpy["std"]!)")
            // min and max are float32 values written in their shortest form: equal as float32.
            for key in ["min", "max"] {
                #expect(Float((tensor[key] as! NSNumber).doubleValue) == Float((numpy[key] as! NSNumber).doubleValue), "\(name) \(key)")
            }
            let histogram = try #require(tensor["histogram"] as? [Int])
            #expect(histogram.reduce(0, +) == numpy["count"] as! Int - (numpy["nan"] as! Int) - (numpy["inf"] as! Int))
        }
        let vocabulary = try #require(viewDocument["vocabulary"] as? [String: Any])
        let referenceVocabulary = try #require(reference["vocabulary"] as? [String: Any])
        let tokens = try #require(vocabulary["tokens"] as? [[String: Any]])
        #expect(tokens.map { $0["codepoint"] as! Int } == referenceVocabulary["codepoints"] as? [Int])
        #expect(tokens.map { $0["count"] as! Int } == referenceVocabulary["counts"] as? [Int])
        #expect(tokens.map { $0["id"] as! Int } == Array(0..<tokens.count))
        let total = (referenceVocabulary["counts"] as! [Int]).reduce(0, +)
        for token in tokens {
            #expect(Self.close(token["share"], Double(token["count"] as! Int) / Double(total), 1e-12))
        }
        #expect(tokens.first { $0["codepoint"] as? Int == 10 }?["visible"] as? String == "\\n")
    }

    @Test func nonFiniteValuesAreCountedNotRefused() throws {
        let folder = try Programs.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let checkpoint = try Self.train(folder, cell: "gru", layers: 1)
        _ = try Self.python("""
            f = h5py.File('\(checkpoint)', 'r+')
            d = f['model/decoder.weight']; w = d[()]; w[3, 2] = np.nan; w[4, 1] = np.inf; w[5, 0] = -np.inf; d[...] = w
            del d.attrs['crc32c']
            d = f['optimizer/exp_avg/rnn.bias_hh_l0']; w = d[()]; w[0] = np.nan; d[...] = w
            f.close()
            """)
        let tensors = try Self.inspect([checkpoint, "--tensors", "--json"])
        #expect(tensors.status == 0, "\(tensors.errors)")
        let list = try #require(try Self.json(tensors.output)["tensors"] as? [[String: Any]])
        let decoder = try #require(list.first { $0["name"] as? String == "model/decoder.weight" })
        #expect(decoder["nan"] as? Int == 1 && decoder["inf"] as? Int == 2)
        #expect(decoder["mean"] is NSNumber, "statistics over the finite values")
        #expect(list.first { $0["name"] as? String == "optimizer/exp_avg/rnn.bias_hh_l0" }?["nan"] as? Int == 1)
        let summary = try Self.inspect([checkpoint])
        #expect(summary.status == 0)
        #expect(summary.output.contains("  NON-FINITE     model/decoder.weight: 1 NaN, 2 Inf\n  NON-FINITE     optimizer/exp_avg/rnn.bias_hh_l0: 1 NaN, 0 Inf\n"))
        let json = try Self.json(try Self.inspect([checkpoint, "--json"]).output)
        let nonFinite = try #require((json["summary"] as? [String: Any])?["non_finite"] as? [[String: Any]])
        #expect(nonFinite.map { $0["name"] as! String } == ["model/decoder.weight", "optimizer/exp_avg/rnn.bias_hh_l0"])
    }

    // MARK: Views for people

    @Test func textViewsAndModelOnlyCheckpoints() throws {
        let folder = try Programs.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let checkpoint = try Self.train(folder, cell: "lstm", layers: 1)
        let summary = try Self.inspect([checkpoint])
        #expect(summary.status == 0, "\(summary.errors)")
        for expected in [
            "format      charrnn-checkpoint, version 1", "written by  rnn-train 0.1.0 at 20",
            "cell           lstm, 1 layer of 16 units, one-hot input of 193, dropout 0.0",
            "    encoder      0 (one-hot input: no embedding table)", "vocabulary     193 Unicode characters, 456 tokens counted",
            "iterations       12 of 12 (max)", "characters seen  768", "position         epoch 1, batch 5 of 7",
            "name   adam (betas 0.9, 0.999, eps 1e-08)", "step   12", "shape  [1, 4, 16] (layers, batch rows, units)",
            "training    456 tokens, fnv1a64:557f0f999e41edda", "from      the last 20.0% of the text",
        ] {
            #expect(summary.output.contains(expected), "summary lacks \(expected):\n\(summary.output)")
        }
        #expect(summary.output.contains("  h      mean ") && summary.output.contains("  c      mean "))

        let vocab = try Self.inspect([checkpoint, "--vocab"])
        let lines = vocab.output.split(separator: "\n").map(String.init)
        #expect(lines[0] == "vocabulary: 193 characters, 456 tokens counted in the training text")
        #expect(lines[1] == "   id  char  code     count   share")
        #expect(lines[2] == "    0  \\n    U+000A      10   2.19%")
        #expect(lines[3] == "    1  ' '   U+0020      65  14.25%")
        #expect(lines.contains { $0.hasSuffix("ß     U+00DF       1   0.22%") })

        let tensors = try Self.inspect([checkpoint, "--tensors"])
        let rows = tensors.output.split(separator: "\n").map(String.init)
        #expect(rows[0].hasPrefix("tensor") && rows[0].contains("mean") && rows[0].contains("histogram"))
        #expect(rows.count == 1 + 6 * 3 + 2)
        #expect(rows.contains { $0.hasPrefix("optimizer/exp_avg_sq/decoder.bias") && $0.contains("[193]") })
        #expect(rows.last!.hasPrefix("train/hidden/c") && rows.last!.contains("[1, 4, 16]"))

        // A model-only checkpoint (training state removed with h5py) shows what it has.
        _ = try Self.python("f = h5py.File('\(checkpoint)', 'r+')\nfor g in ['train', 'optimizer', 'history']: del f[g]\nf.close()")
        let modelOnly = try Self.inspect([checkpoint])
        #expect(modelOnly.status == 0, "\(modelOnly.errors)")
        #expect(modelOnly.output.contains("model only (can be played and inspected, not resumed)"))
        #expect(modelOnly.output.contains("none recorded (a model-only checkpoint)"))
        let modelOnlyJSON = try Self.json(try Self.inspect([checkpoint, "--json", "--tensors"]).output)
        #expect((modelOnlyJSON["tensors"] as? [Any])?.count == 6)
        let history = try Self.inspect([checkpoint, "--history"])
        #expect(history.status == 1)
        #expect(history.errors == "rnn-inspect: error: \(checkpoint): holds a model only, without the training state that --history shows\n")
    }

    @Test func combiningMarksAreEscapedInTheVocabulary() throws {
        let folder = try Programs.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // "café" spelt with a combining acute accent (U+0301) after the e.
        let corpus = folder.appendingPathComponent("accents.txt")
        try String(repeating: "un cafe\u{0301} noir, une cre\u{0300}me\n", count: 20).write(to: corpus, atomically: true, encoding: .utf8)
        let checkpoint = try Self.train(folder, layers: 1, corpus: corpus.path)
        let vocab = try Self.inspect([checkpoint, "--vocab"])
        #expect(vocab.status == 0, "\(vocab.errors)")
        let lines = vocab.output.split(separator: "\n").map(String.init)
        #expect(lines[1] == "  id  char    code    count   share", "\(vocab.output)")
        let acute = try #require(lines.first { $0.contains("U+0301  U+0301") }, "\(vocab.output)")
        #expect(acute.split(separator: " ") == ["14", "U+0301", "U+0301", "16", "3.85%"], "\(acute)")
        #expect(lines.contains { $0.split(separator: " ").prefix(3) == ["13", "U+0300", "U+0300"] }, "\(vocab.output)")
        // Nothing left to merge with the column before, so every code starts under "code".
        let column = lines[1].distance(from: lines[1].startIndex, to: lines[1].range(of: "code")!.lowerBound)
        for line in lines.dropFirst(2) {
            let scalars = Array(line.unicodeScalars)
            #expect(!scalars.contains { $0.properties.generalCategory == .nonspacingMark }, "\(line)")
            #expect(scalars.count > column + 2 && String(String.UnicodeScalarView(scalars[column..<column + 2])) == "U+", "\(line)")
        }
        // JSON keeps the character itself beside its visible form.
        let tokens = try #require((try Self.json(try Self.inspect([checkpoint, "--vocab", "--json"]).output)["vocabulary"] as? [String: Any])?["tokens"] as? [[String: Any]])
        let token = try #require(tokens.first { $0["codepoint"] as? Int == 0x301 })
        #expect(token["char"] as? String == "\u{0301}" && token["visible"] as? String == "U+0301")
    }

    /// A byte-level model's bytes above 0x7F are not characters: the JSON's "visible" shows them
    /// as the table does (\xE1), not as the Latin-1 letter of the same number.
    @Test func byteLevelVocabularyJSONShowsBytesAsTheTableDoes() throws {
        let folder = try Programs.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try Programs.run("rnn-train", [
            "--data", Programs.fixture("multilingual.txt"), "--bytes", "--layers", "1", "--hidden-size", "8", "--batch-size", "4",
            "--seq-length", "16", "--max-iterations", "2", "--sample-every", "0", "--threads", "1",
            "--checkpoint-dir", folder.appendingPathComponent("run").path,
        ])
        #expect(result.status == 0, "\(result.errors)")
        let checkpoint = folder.appendingPathComponent("run/latest.h5").path
        let table = try Self.inspect([checkpoint, "--vocab"])
        let tokens = try #require((try Self.json(try Self.inspect([checkpoint, "--vocab", "--json"]).output)["vocabulary"] as? [String: Any])?["tokens"] as? [[String: Any]])
        let high = tokens.filter { ($0["codepoint"] as? Int ?? 0) >= 0x80 }
        #expect(!high.isEmpty)
        for token in high {
            let code = token["codepoint"] as! Int
            let expected = "\\x" + String(code, radix: 16, uppercase: true)
            #expect(token["visible"] as? String == expected && token["char"] is NSNull, "\(token)")
            #expect(table.output.contains(" \(expected) "), "the table shows \(expected)")
        }
    }

    // MARK: Exports

    @Test func exportsLoadInNumpy() throws {
        let folder = try Programs.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let checkpoint = try Self.train(folder, cell: "lstm", embedding: 4)
        let exports: [(String, String, String)] = [
            ("encoder.weight", "encoder.npy", "model/encoder.weight"),
            ("/model/rnn.weight_ih_l1", "w.npy", "model/rnn.weight_ih_l1"),
            ("optimizer/exp_avg_sq/decoder.bias", "v.npy", "optimizer/exp_avg_sq/decoder.bias"),
            ("train/hidden/c", "c.npy", "train/hidden/c"),
            ("decoder.weight", "d.csv", "model/decoder.weight"),
            ("train/hidden/h", "h.csv", "train/hidden/h"),
            ("rnn.bias_hh_l0", "b.csv", "model/rnn.bias_hh_l0"),
        ]
        var checks = "f = h5py.File('\(checkpoint)', 'r')\n"
        for (name, file, dataset) in exports {
            let path = folder.appendingPathComponent(file).path
            let result = try Self.inspect([checkpoint, "--export", name, "--to", path])
            #expect(result.status == 0, "\(result.errors)")
            #expect(result.output.hasPrefix("wrote \(path): \(dataset) ["))
            if file.hasSuffix(".npy") {
                checks += "a = np.load('\(path)'); e = f['\(dataset)'][()]\n"
                checks += "assert a.dtype == np.dtype('<f4') and a.shape == e.shape and np.array_equal(a, e), '\(file)'\n"
            } else {
                checks += "a = np.loadtxt('\(path)', delimiter=',', dtype=np.float32, ndmin=2); e = f['\(dataset)'][()]\n"
                checks += "assert a.shape == (int(np.prod(e.shape[:-1])) if e.ndim > 1 else e.size, e.shape[-1] if e.ndim > 1 else 1), ('\(file)', a.shape)\n"
                checks += "assert np.array_equal(a.reshape(e.shape), e), '\(file)'\n"
            }
            checks += "print('\(file)', a.shape)\n"
        }
        let output = try Self.python(checks)
        #expect(output.contains("encoder.npy (193, 4)") && output.contains("c.npy (2, 4, 16)") && output.contains("h.csv (8, 16)"))

        let cases: [([String], String)] = [
            (["--export", "decoder.wieght", "--to", folder.appendingPathComponent("x.npy").path],
             "\(checkpoint): no tensor named \"decoder.wieght\"; did you mean \"model/decoder.weight\"?"),
            (["--export", "decoder.weight", "--to", folder.appendingPathComponent("x.txt").path], "x.txt: unknown export format; name the file .npy (NumPy) or .csv"),
            (["--export", "decoder.weight", "--to", "/no/such/folder/x.npy"], "/no/such/folder/x.npy: cannot write: the folder /no/such/folder does not exist"),
        ]
        for (arguments, message) in cases {
            let result = try Self.inspect([checkpoint] + arguments)
            #expect(result.status == 1, "\(arguments)")
            #expect(result.errors.contains(message), "\(arguments): \(result.errors)")
            #expect(result.errors.split(separator: "\n").count == 1, "one line: \(result.errors)")
        }
        #expect(try Self.inspect([checkpoint, "--export", "decoder.weight"]).status == 64, "--export without --to is a usage error")
        let quiet = try Self.json(try Self.inspect([checkpoint, "--export", "decoder.bias", "--to", folder.appendingPathComponent("q.npy").path, "--json"]).output)
        #expect((quiet["export"] as? [String: Any])?["tensor"] as? String == "model/decoder.bias")
        #expect((quiet["export"] as? [String: Any])?["shape"] as? [Int] == [193])
        #expect(quiet["summary"] == nil, "files alone print no summary")
    }

    // MARK: History and plot

    @Test func historyTableJSONAndPlot() throws {
        let folder = try Programs.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let checkpoint = try Self.train(folder, cell: "rnn", layers: 1)
        let json = try Self.json(try Self.inspect([checkpoint, "--history", "--json"]).output)
        let history = try #require(json["history"] as? [String: Any])
        let numpy = try Self.json(try Self.python("""
            f = h5py.File('\(checkpoint)', 'r')
            print(json.dumps({k: [float(x) for x in f['history/' + k][()]] for k in ['step', 'train_loss', 'elapsed', 'val_step', 'val_loss']}))
            """))
        for key in ["step", "train_loss", "elapsed", "val_step", "val_loss"] {
            let ours = try #require(history[key] as? [NSNumber]).map { Float($0.doubleValue) }
            let theirs = try #require(numpy[key] as? [NSNumber]).map { Float($0.doubleValue) }
            #expect(ours == theirs, "\(key)")
        }
        #expect((history["val_step"] as? [Int]) == [5, 10, 12])

        let table = try Self.inspect([checkpoint, "--history"])
        let rows = table.output.split(separator: "\n").map(String.init)
        #expect(rows[0] == "history: 12 training iterations, 3 evaluations (losses in nats per character)")
        #expect(rows[1].contains("iteration") && rows[1].contains("train loss") && rows[1].contains("val loss"))
        #expect(rows.count == 2 + 12)
        let trainLoss = (numpy["train_loss"] as! [NSNumber]).map(\.doubleValue), valLoss = (numpy["val_loss"] as! [NSNumber]).map(\.doubleValue)
        #expect(rows[6].hasPrefix("          5      \(String(format: "%.4f", trainLoss[4]))    \(String(format: "%.4f", valLoss[0]))"), "\(rows[6])")
        let thinned = try Self.inspect([checkpoint, "--history", "--every", "4"]).output.split(separator: "\n")
        #expect(thinned.dropFirst(2).map { $0.split(separator: " ")[0] } == ["4", "5", "8", "10", "12"])

        let svg = folder.appendingPathComponent("loss.svg").path
        let plotted = try Self.inspect([checkpoint, "--plot", svg])
        #expect(plotted.status == 0, "\(plotted.errors)")
        #expect(plotted.output == "wrote \(svg): 12 training and 3 validation losses\n")
        let parsed = try Self.python("""
            import xml.etree.ElementTree as ET
            root = ET.parse('\(svg)').getroot()
            ids = {e.get('id'): e for e in root.iter() if e.get('id')}
            d = lambda i: ids[i].get('d')
            texts = ' '.join(t.text or '' for t in root.iter('{http://www.w3.org/2000/svg}text'))
            print(root.tag, d('train-loss').count('L') + 1, d('validation-loss').count('L') + 1, ids['train-loss'].get('stroke') != ids['validation-loss'].get('stroke'), 'iteration' in texts, 'loss (nats per character)' in texts)
            """)
        #expect(parsed == "{http://www.w3.org/2000/svg}svg 12 3 True True True\n")

        // Only SVG is drawn: another extension is a usage error and writes nothing.
        for name in ["loss.png", "loss", "loss.svg.pdf"] {
            let wrong = folder.appendingPathComponent(name).path
            let refused = try Self.inspect([checkpoint, "--plot", wrong])
            #expect(refused.status == 64, "\(name)")
            #expect(refused.errors.hasPrefix("Error: --plot \(wrong): the plot is an SVG picture; give a file name ending in .svg\n"), "\(refused.errors)")
            #expect(!FileManager.default.fileExists(atPath: wrong), "\(name) written")
        }
        let upper = folder.appendingPathComponent("LOSS.SVG").path
        #expect(try Self.inspect([checkpoint, "--plot", upper]).output == "wrote \(upper): 12 training and 3 validation losses\n")
    }

    // MARK: diff

    @Test func diffOfItselfAndOfAResumedCopy() throws {
        let folder = try Programs.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let checkpoint = try Self.train(folder, cell: "lstm")
        let same = try Self.inspect(["diff", checkpoint, checkpoint])
        #expect(same.status == 0, "\(same.errors)")
        #expect(same.output.hasSuffix("identical: all 32 tensors and every setting are equal bit for bit\n"))

        // A copy resumed and trained 3 more iterations.
        let copyFolder = folder.appendingPathComponent("copy")
        try FileManager.default.createDirectory(at: copyFolder, withIntermediateDirectories: true)
        let copy = copyFolder.appendingPathComponent("start.h5").path
        try FileManager.default.copyItem(atPath: checkpoint, toPath: copy)
        let resumed = try Programs.run("rnn-train", ["--resume", copy, "--max-iterations", "15", "--sample-every", "0", "--threads", "1"])
        #expect(resumed.status == 0, "\(resumed.errors)")
        let later = copyFolder.appendingPathComponent("latest.h5").path
        let text = try Self.inspect(["diff", checkpoint, later])
        #expect(text.status == 1, "\(text.errors)")
        let rows = text.output.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(rows.contains(["state", "iteration", "12", "15"]), "\(text.output)")
        #expect(rows.contains(["training", "max_iterations", "12", "15"]), "\(text.output)")
        #expect(rows.contains { $0.first == "model/decoder.weight" && $0.contains("changed") == false && $0[1] == "[193," })
        #expect(text.output.hasSuffix("different: 7 settings, the loss history (train_loss, val_loss) and 32 of 32 tensors differ\n"), "\(text.output)")
        let json = try Self.json(try Self.inspect(["diff", checkpoint, later, "--json"]).output)
        #expect(json["identical"] as? Bool == false)
        let settings = try #require(json["settings"] as? [[String: Any]])
        let changedSettings = Dictionary(uniqueKeysWithValues: settings.map { ($0["name"] as! String, ($0["a"] as! String, $0["b"] as! String)) })
        #expect(changedSettings["iteration"]! == ("12", "15"))
        #expect(changedSettings["max_iterations"]! == ("12", "15"))
        #expect(changedSettings["optimizer step"]! == ("12", "15"))
        let tensors = try #require(json["tensors"] as? [[String: Any]])
        #expect(tensors.count == 32)
        // Three Adam steps move every weight, both moments and the carried state.
        for tensor in tensors {
            #expect(tensor["identical"] as? Bool == false, "\(tensor["name"]!) unchanged")
            #expect(((tensor["max_abs_diff"] as? NSNumber)?.doubleValue ?? 0) > 0, "\(tensor["name"]!)")
        }
        // The largest absolute difference of one tensor, computed by numpy.
        let decoder = try #require(tensors.first { $0["name"] as? String == "model/decoder.bias" })
        let numpy = try Self.python("a = h5py.File('\(checkpoint)', 'r')['model/decoder.bias'][()].astype(np.float64); b = h5py.File('\(later)', 'r')['model/decoder.bias'][()].astype(np.float64)\nprint(repr(float(np.abs(a - b).max())))")
        #expect(Self.close(decoder["max_abs_diff"], Double(numpy.trimmingCharacters(in: .whitespacesAndNewlines)), 1e-12))

        let missing = try Self.inspect(["diff", checkpoint, "/no/such.h5"])
        #expect(missing.status == 2)
        #expect(missing.errors == "rnn-inspect: error: /no/such.h5: cannot open the checkpoint: No such file or directory\n")
    }

    @Test func aRunStoppedBetweenEvaluationsAndResumedDiffersOnlyInItsHistory() throws {
        let folder = try Programs.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let straight = try Self.train(folder.appendingPathComponent("straight"), iterations: 12)
        // Stopped at 7, between the evaluations every 5, which evaluates there; then resumed to 12.
        let stopped = try Self.train(folder.appendingPathComponent("stopped"), iterations: 7)
        let resumed = try Programs.run("rnn-train", ["--resume", stopped, "--max-iterations", "12", "--sample-every", "0", "--threads", "1"])
        #expect(resumed.status == 0, "\(resumed.errors)")
        let text = try Self.inspect(["diff", straight, stopped])
        #expect(text.status == 1, "the files differ: \(text.output)")
        let lines = text.output.split(separator: "\n").map(String.init)
        #expect(lines.last == "different: the loss history (val_loss) differs; all 32 tensors and every other setting are equal bit for bit", "\(text.output)")
        #expect(lines.contains { $0.split(separator: " ").prefix(4) == ["history", "val_loss", "3", "entries,"] }, "\(text.output)")
        let json = try Self.json(try Self.inspect(["diff", straight, stopped, "--json"]).output)
        let settings = try #require(json["settings"] as? [[String: Any]])
        #expect(settings.map { "\($0["section"]!) \($0["name"]!)" } == ["history val_loss"])
        let tensors = try #require(json["tensors"] as? [[String: Any]])
        #expect(tensors.count == 32 && tensors.allSatisfy { $0["identical"] as? Bool == true && $0["changed"] as? Int == 0 })
    }

    // MARK: verify

    @Test func verifyPassesSoundFilesAndFailsDamagedOnes() throws {
        let folder = try Programs.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let good = try Self.train(folder, cell: "gru")
        let sound = try Self.inspect(["verify", good])
        #expect(sound.status == 0, "\(sound.output)")
        #expect(sound.output.hasPrefix("\(good): sound (charrnn-checkpoint version 1, gru 2x16, 12 iterations)"))
        #expect(sound.errors.isEmpty)
        // A resumed run's checkpoint is as sound.
        let resumed = try Programs.run("rnn-train", ["--resume", good, "--max-iterations", "20", "--sample-every", "0", "--threads", "1"])
        #expect(resumed.status == 0, "\(resumed.errors)")
        #expect(try Self.inspect(["verify", good]).status == 0)

        let bytes = try Data(contentsOf: URL(fileURLWithPath: good))
        func damaged(_ name: String, _ edit: String?) throws -> String {
            let path = folder.appendingPathComponent(name).path
            try bytes.write(to: URL(fileURLWithPath: path))
            if let edit { _ = try Self.python("f = h5py.File('\(path)', 'r+')\n\(edit)\nf.close()") }
            return path
        }
        let truncated = folder.appendingPathComponent("truncated.h5").path
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: truncated))
        let empty = folder.appendingPathComponent("empty.h5").path
        FileManager.default.createFile(atPath: empty, contents: Data())
        // Edits of data drop its crc32c attribute, as a file written by another tool would lack it;
        // the one edit that keeps it must be caught by the checksum.
        let nan = "d = f['model/decoder.weight']; w = d[()]; w[3, 2] = np.nan; d[...] = w; del d.attrs['crc32c']"
        let cases: [(String, [String])] = [
            (truncated, ["file: not a checkpoint: the file is truncated: "]),
            (empty, ["file: not a checkpoint: the file is empty"]),
            (folder.appendingPathComponent("missing.h5").path, ["file: cannot open the checkpoint: No such file or directory"]),
            (try damaged("format.h5", "f.attrs['format'] = np.bytes_(b'other')"), ["file: not a checkpoint: format is \"other\""]),
            (try damaged("newer.h5", "f.attrs['format_version'] = np.int64(2)"), ["file: written by a newer version (checkpoint format 2"]),
            (try damaged("nodata.h5", "del f['model/decoder.bias']"), ["/model/decoder.bias: missing"]),
            (try damaged("shape.h5", "del f['model/rnn.weight_hh_l1']\nf['model/rnn.weight_hh_l1'] = np.zeros((48, 15), np.float32)"),
             ["/model/rnn.weight_hh_l1: has shape [48, 15] where [48, 16] is expected"]),
            (try damaged("type.h5", "del f['model/decoder.bias']\nf['model/decoder.bias'] = np.zeros(193, np.float64)"),
             ["/model/decoder.bias: has the wrong data type"]),
            (try damaged("soft.h5", "del f['model/decoder.bias']\nf['model/decoder.bias'] = h5py.SoftLink('/model/rnn.bias_ih_l0')"),
             ["/model/decoder.bias: is a soft link"]),
            (try damaged("external.h5", "del f['model/decoder.bias']\nf['model/decoder.bias'] = h5py.ExternalLink('other.h5', '/model/decoder.bias')"),
             ["/model/decoder.bias: is an external link; only plain objects are accepted"]),
            (try damaged("nan.h5", nan), ["/model/decoder.weight: holds a non-finite value (nan at element 50)"]),
            (try damaged("several.h5", nan + "\nd = f['optimizer/exp_avg/rnn.bias_ih_l1']; w = d[()]; w[:3] = np.inf; d[...] = w; del d.attrs['crc32c']\nf['optimizer'].attrs['step'] = np.int64(3)"), [
                "/model/decoder.weight: holds a non-finite value (nan at element 50)",
                "/optimizer/exp_avg/rnn.bias_ih_l1: holds 0 NaN and 3 infinite values of 48 (first at element 0)",
                "/optimizer@step: is 3 but /train@iteration is 20",
            ]),
            (try damaged("extra.h5", "f['model/rnn.weight_ih_l2'] = np.zeros((48, 16), np.float32)"),
             ["/model/rnn.weight_ih_l2: is not a tensor of this gru configuration"]),
            (try damaged("slot.h5", "f['optimizer'].copy('exp_avg', 'sum')"), ["/optimizer/sum: is not a slot of adam (its slots: exp_avg, exp_avg_sq)"]),
            (try damaged("counts.h5", "c = f['vocab/counts']; v = c[()]; v[1] += 5; c[...] = v; del c.attrs['crc32c']"), ["/vocab/counts: add up to 461 but /train@corpus_length is 456"]),
            (try damaged("seen.h5", "f['train'].attrs['characters_seen'] = np.int64(7)"), ["/train@characters_seen: is 7 but 20 iterations of 4 x 16 read 1280"]),
            (try damaged("best.h5", "f['train'].attrs['best_val_loss'] = np.float64(0.25)"), ["/train@best_val_loss: is 0.25 but the lowest validation loss in /history/val_loss is"]),
            (try damaged("hidden.h5", "d = f['train/hidden/h']; w = d[()]; w[1, 2, 3] = 7; d[...] = w; del d.attrs['crc32c']"),
             ["/train/hidden/h: 1 value outside [-1, 1] (largest 7.0), impossible for a gru cell"]),
            (try damaged("squares.h5", "d = f['optimizer/exp_avg_sq/decoder.bias']; w = d[()]; w[0] = -1; d[...] = w; del d.attrs['crc32c']"),
             ["/optimizer/exp_avg_sq: 1 negative value, impossible for a running sum of squares"]),
            (try damaged("history.h5", "s = f['history/step']; v = s[()]; v[4] = 2; s[...] = v; del s.attrs['crc32c']"), ["/history/step: is not increasing (4 then 2)"]),
            (try damaged("crc.h5", "d = f['model/rnn.bias_hh_l0']; w = d[()]; w[5] += 0.5; d[...] = w"),
             ["/model/rnn.bias_hh_l0: checksum mismatch"]),
        ]
        for (path, messages) in cases {
            let result = try Self.inspect(["verify", path])
            let name = URL(fileURLWithPath: path).lastPathComponent
            #expect(result.status == 1, "\(name): \(result.output)")
            let lines = result.output.split(separator: "\n").map(String.init)
            #expect(lines.first == "\(path): \(messages.count) problem\(messages.count == 1 ? "" : "s")", "\(name): \(result.output)")
            for (i, message) in messages.enumerated() {
                #expect(lines.count > i + 1 && lines[i + 1].hasPrefix("  " + message), "\(name): \(result.output)")
            }
            #expect(result.errors.hasPrefix("rnn-inspect: error: \(path) is not sound: \(messages.count) problem"), "\(name): \(result.errors)")
            #expect(result.errors.split(separator: "\n").count == 1, "one line: \(result.errors)")
        }
        let json = try Self.json(try Self.inspect(["verify", try damaged("json.h5", nan), "--json"]).output)
        #expect(json["sound"] as? Bool == false)
        #expect((json["problems"] as? [[String: String]])?.first?["object"] == "/model/decoder.weight")
    }

    // MARK: activations

    @Test func activationPageAndCorrelatedUnits() throws {
        let folder = try Programs.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let corpus = folder.appendingPathComponent("code.txt")
        try Self.codeText.write(to: corpus, atomically: true, encoding: .utf8)
        let checkpoint = try Self.train(folder, cell: "lstm", iterations: 20, corpus: corpus.path)

        let input = "def f1(x):\n    say \"value <3> & more\"\n\treturn 'no'\n"
        let html = folder.appendingPathComponent("cells.html").path
        let page = try Self.inspect(["activations", checkpoint, "--text", input, "--html", html, "--units", "0,5,15"])
        #expect(page.status == 0, "\(page.errors)")
        #expect(page.output == "wrote \(html): \(input.unicodeScalars.count) characters, layer 1 of 2, cell state c (coloured by tanh(c)), units chosen with --units: 0, 5, 15\n")
        // Python's HTML parser reads the characters of every unit's section back, in order.
        let parsed = try Self.python("""
            from html.parser import HTMLParser
            class P(HTMLParser):
                def __init__(self):
                    super().__init__(); self.sections = []; self.depth = 0; self.external = False
                def handle_starttag(self, tag, attrs):
                    a = dict(attrs)
                    if tag == 'section': self.sections.append('')
                    if tag == 'span' and 'ch' in a.get('class', '').split(): self.depth = 1
                    if tag == 'script' or (a.get('src') or a.get('href') or '').startswith(('http', '//')): self.external = True
                def handle_endtag(self, tag):
                    if tag == 'span': self.depth = 0
                def handle_data(self, data):
                    if self.depth: self.sections[-1] += data
            p = P(); p.feed(open('\(html)', encoding='utf-8').read())
            print(json.dumps({'sections': p.sections, 'external': p.external}))
            """)
        let document = try Self.json(parsed)
        #expect(document["sections"] as? [String] == [input, input, input])
        #expect(document["external"] as? Bool == false)
        let source = try String(contentsOfFile: html, encoding: .utf8)
        #expect(source.contains("\">&lt;</span>") && source.contains("\">&amp;</span>") && source.contains("\">&quot;</span>"))
        #expect(source.contains("<section class=\"unit\" id=\"unit-15\">"))

        // The most varying units by default: the page's headings name them.
        let defaults = try Self.inspect(["activations", checkpoint, "--file", corpus.path, "--html", html, "--most-varying", "4", "--layer", "0", "--state", "h"])
        #expect(defaults.status == 0, "\(defaults.errors)")
        #expect(defaults.output.contains("layer 0 of 2, hidden state h, the 4 units that vary most over the text"))

        // --top: the same units, means, deviations and correlations as numpy's forward pass.
        let text = folder.appendingPathComponent("probe.txt")
        try String(Self.codeText.prefix(900)).write(to: text, atomically: true, encoding: .utf8)
        for (feature, layer, state) in [("quotes", "1", "c"), ("indentation", "0", "h"), ("line-position", "1", "h")] {
            let ours = try Self.inspect(["activations", checkpoint, "--file", text.path, "--top", "5", "--feature", feature, "--layer", layer, "--state", state, "--json"])
            #expect(ours.status == 0, "\(ours.errors)")
            let result = try Self.json(ours.output)
            #expect(result["characters"] as? Int == 900 && result["feature"] as? String == feature)
            let top = try #require(result["top"] as? [[String: Any]])
            let reference = try Self.json(try Programs.runPython([
                Programs.repository.appendingPathComponent("Tools/inspect_reference.py").path, checkpoint, "--activations", text.path, layer, state, feature,
            ]).output)
            let units = try #require(reference["units"] as? [[String: Any]])
            let ranked = units.filter { !($0["correlation"] is NSNull) }
                .sorted { abs(($0["correlation"] as! NSNumber).doubleValue) > abs(($1["correlation"] as! NSNumber).doubleValue) }
            #expect(top.map { $0["unit"] as! Int } == ranked.prefix(5).map { $0["unit"] as! Int }, "\(feature)")
            for entry in top {
                let numpy = units[entry["unit"] as! Int]
                for key in ["correlation", "mean", "std"] {
                    #expect(Self.close(entry[key], numpy[key], 2e-4), "\(feature) unit \(entry["unit"]!) \(key): \(entry[key]!) vs \(numpy[key]!)")
                }
            }
        }
        let table = try Self.inspect(["activations", checkpoint, "--file", text.path, "--top", "3"])
        let rows = table.output.split(separator: "\n")
        #expect(rows[0] == "units of layer 1 of 2, cell state c (coloured by tanh(c)) most correlated with inside quotes over 900 characters:")
        #expect(rows.count == 5 && rows[1].contains("correlation"))

        let latin1 = folder.appendingPathComponent("latin1.txt").path
        try Data(Array("def".utf8) + [0xE9] + Array("\n".utf8)).write(to: URL(fileURLWithPath: latin1))
        let cases: [([String], String, Int32)] = [
            (["--text", input, "--top", "3", "--units", "3,99"], "\(checkpoint): no unit 99; a layer has 16 units, numbered 0 to 15", 1),
            (["--text", input, "--html", html, "--layer", "2"], "\(checkpoint): no layer 2; the model has 2 layers, numbered 0 to 1", 1),
            (["--text", "x € ü", "--top", "3"], "--text: 2 character(s) not in the model's vocabulary: 'ü' '€'", 1),
            (["--text", "def f(x):\n    return 'no'\n", "--top", "3"], "--text: the feature \"quotes\" is the same at every character", 1),
            (["--file", "/no/such.txt", "--top", "3"], "/no/such.txt: no such file or folder", 1),
            (["--file", latin1, "--top", "3"],
             "latin1.txt: invalid UTF-8 at byte offset 3 (the model reads Unicode characters; a byte-level model, trained with rnn-train --bytes, reads any file)", 1),
            (["--text", input, "--top", "3", "--units", "1,x"], "--units", 64),
            (["--text", input], "--html FILE, --top N, or both", 64),
        ]
        for (arguments, message, status) in cases {
            let result = try Self.inspect(["activations", checkpoint] + arguments)
            #expect(result.status == status, "\(arguments): \(result.errors)")
            #expect(result.errors.contains(message), "\(arguments): \(result.errors)")
            if status == 1 { #expect(result.errors.split(separator: "\n").count == 1, "one line: \(result.errors)") }
        }
        let gru = try Self.train(folder.appendingPathComponent("gru"), cell: "gru", layers: 1, corpus: corpus.path)
        let noCell = try Self.inspect(["activations", gru, "--text", input, "--top", "2", "--state", "c"])
        #expect(noCell.status == 1)
        #expect(noCell.errors == "rnn-inspect: error: \(gru): a gru model has no cell state; use --state h (c exists for lstm only)\n")
    }

    // MARK: Help and bad input

    @Test func helpDescribesEveryOption() throws {
        let expected: [(String?, [String])] = [
            (nil, ["show", "diff", "verify", "activations"]),
            ("show", ["--vocab", "--tensors", "--history", "--every", "--plot", "--export", "--to", "--json"]),
            ("diff", ["--all", "--json"]),
            ("verify", ["--json"]),
            ("activations", ["--text", "--file", "--layer", "--state", "--units", "--most-varying", "--html", "--top", "--feature", "--json"]),
        ]
        for (subcommand, options) in expected {
            let result = try Self.inspect((subcommand.map { [$0] } ?? []) + ["--help"])
            #expect(result.status == 0)
            for option in options { #expect(result.output.contains(option), "\(option) missing from \(subcommand ?? "rnn-inspect") --help") }
            let lines = result.output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            for (i, line) in lines.enumerated() where line.hasPrefix("  -") || (subcommand == nil && line.hasPrefix("  ") && options.contains(line.trimmingCharacters(in: .whitespaces).components(separatedBy: " ")[0])) {
                let sameLine = line.trimmingCharacters(in: .whitespaces).contains("  ") || line.contains("> ")
                let nextLine = i + 1 < lines.count && lines[i + 1].hasPrefix("      ") && !lines[i + 1].trimmingCharacters(in: .whitespaces).hasPrefix("-")
                #expect(sameLine || nextLine, "option without help in \(subcommand ?? "rnn-inspect"): \(line)")
            }
        }
    }

    @Test func badCheckpointsGiveOneLine() throws {
        let folder = try Programs.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let noise = folder.appendingPathComponent("noise.h5").path
        try Data((0..<2048).map { UInt8(truncatingIfNeeded: $0 &* 7919) }).write(to: URL(fileURLWithPath: noise))
        let cases: [([String], String)] = [
            (["/no/such.h5"], "/no/such.h5: cannot open the checkpoint: No such file or directory"),
            ([noise, "--tensors"], "noise.h5: not a checkpoint: not an HDF5 file"),
            (["activations", noise, "--text", "a", "--top", "1"], "noise.h5: not a checkpoint: not an HDF5 file"),
        ]
        for (arguments, message) in cases {
            let result = try Self.inspect(arguments)
            #expect(result.status == 1, "\(arguments)")
            #expect(result.errors.contains(message), "\(arguments): \(result.errors)")
            #expect(result.errors.split(separator: "\n").count == 1, "one line: \(result.errors)")
        }
    }
}
