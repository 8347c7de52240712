import Foundation
import Testing

@testable import CommandLineSupport

/// The live progress line on terminals of every width, and its time left.
struct ProgressLineTests {
    /// rnn-train's line as reported: an 80-column terminal cut it after "433,359 cha".
    static func trainingLine(iteration: Int = 1000, of total: Int = 1000) -> ProgressLine {
        .training(
            epoch: 0.06, iteration: iteration, of: total, loss: 2.70091, validationLoss: 2.98836,
            charactersPerSecond: 433_359.7, secondsLeft: 2 * 3600 + 19 * 60 + 5)
    }

    /// The line's fields, by their first word ("433,359 chars/s" counts as "chars/s").
    static func fields(_ line: String) -> [String] {
        line.components(separatedBy: "  ").map { $0.hasSuffix(" chars/s") ? "chars/s" : String($0.split(separator: " ")[0]) }
    }

    @Test func theWholeLineWhereItFits() {
        let line = Self.trainingLine()
        #expect(line.full == "epoch 0.06 [------------]  iter 1000/1000  loss 2.7009  val 2.9884  433,359 chars/s  ETA 2h19m")
        #expect(line.fitted(to: 200) == line.full)
        #expect(line.fitted(to: line.full.count) == line.full)
    }

    // ProgressDisplay leaves the last column free, so an 80-column terminal gets 79 characters.

    @Test func eightyColumnsLoseTheBarFirstThenTheValidationLoss() {
        #expect(Self.trainingLine().fitted(to: 79) == "epoch 0.06  iter 1000/1000  loss 2.7009  val 2.9884  433,359 chars/s  ETA 2h19m")
        let long = Self.trainingLine(iteration: 75050, of: 100_000).fitted(to: 79)
        #expect(long == "epoch 0.06  iter 75050/100000  loss 2.7009  433,359 chars/s  ETA 2h19m")
        #expect(Self.fields(long) == ["epoch", "iter", "loss", "chars/s", "ETA"])
    }

    @Test func sixtyColumnsKeepIterationLossSpeedAndETA() {
        let short = Self.trainingLine().fitted(to: 59)
        #expect(short == "iter 1000/1000  loss 2.7009  433,359 chars/s  ETA 2h19m")
        let long = Self.trainingLine(iteration: 75050, of: 100_000).fitted(to: 59)
        #expect(long == "iter 75050/100000  loss 2.7009  433,359 chars/s  ETA 2h19m")
        #expect(Self.fields(long) == ["iter", "loss", "chars/s", "ETA"])
        // Narrower still: the planned total goes, then the speed's last digits.
        #expect(Self.trainingLine(iteration: 75050, of: 100_000).fitted(to: 51) == "iter 75050  loss 2.7009  433,359 chars/s  ETA 2h19m")
        #expect(Self.trainingLine(iteration: 75050, of: 100_000).fitted(to: 48) == "iter 75050  loss 2.7009  433k chars/s  ETA 2h19m")
    }

    @Test func neverWiderThanTheTerminal() {
        let lines = [Self.trainingLine(), Self.trainingLine(iteration: 75050, of: 100_000), Self.trainingLine(iteration: 7, of: 9_999_999)]
        for line in lines {
            for width in 0...120 {
                let fitted = line.fitted(to: width)
                #expect(fitted.count <= width, "\(width): \(fitted)")
                // Cut only as a last resort: the essential fields whole whenever they fit.
                if width >= 48 {
                    #expect(fitted.hasPrefix("iter ") || fitted.hasPrefix("epoch "), "\(width): \(fitted)")
                    #expect(fitted.hasSuffix("ETA 2h19m") && fitted.contains("loss 2.7009") && fitted.contains(" chars/s"), "\(width): \(fitted)")
                }
            }
        }
        // Below that the line is cut at the edge.
        #expect(Self.trainingLine(iteration: 75050, of: 100_000).fitted(to: 30) == "iter 75050  loss 2.7009  433k ")
    }

    @Test func partsGiveWayInTheOrderGiven() {
        let line = ProgressLine(parts: [["aaaa", "a"], ["bbbb", ""], ["cccc"]], giveWay: [1, 0])
        #expect(line.full == "aaaa  bbbb  cccc")
        #expect(line.fitted(to: 16) == "aaaa  bbbb  cccc")
        #expect(line.fitted(to: 15) == "aaaa  cccc")
        #expect(line.fitted(to: 9) == "a  cccc")
        #expect(line.fitted(to: 5) == "a  cc")
        #expect(ProgressLine("scoring 42%").fitted(to: 7) == "scoring")
    }

    @Test func timeLeftIsTheEarlierOfThePlanAndTheTimeLimit() {
        let now = Date(timeIntervalSinceReferenceDate: 1_000_000)
        // 3,000,000 characters at 1,000 a second: 50 minutes by the plan.
        #expect(ProgressDisplay.secondsLeft(work: 3_000_000, rate: 1000, deadline: nil, now: now) == 3000)
        #expect(ProgressDisplay.secondsLeft(work: 3_000_000, rate: 1000, deadline: now + 600, now: now) == 600)
        #expect(ProgressDisplay.secondsLeft(work: 3_000_000, rate: 1000, deadline: now + 4000, now: now) == 3000)
        #expect(ProgressDisplay.secondsLeft(work: 3_000_000, rate: 1000, deadline: now - 5, now: now) == 0)
    }

    @Test func compactNumbers() {
        #expect(Console.compact(9_999) == "9,999")
        #expect(Console.compact(433_359) == "433k")
        #expect(Console.compact(12_345_678) == "12M")
    }
}
