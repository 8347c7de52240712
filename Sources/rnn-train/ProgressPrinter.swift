import CharRNN
import CommandLineSupport
import Foundation

/// Shows training progress: iteration, epoch, losses, characters per second and time left, as a
/// live line on a terminal or a plain line every `printEvery` iterations elsewhere.
final class ProgressPrinter {
    let trainer: Trainer
    let printEvery: Int
    let display: ProgressDisplay
    /// When --time-limit stops the run, if it has one.
    let deadline: Date?
    var lastValidation = Double.nan
    var characters = 0
    var seconds = 0.0
    var lossSum = 0.0
    var lossCount = 0
    /// Recent speed for the live line and the ETA (exponentially smoothed).
    var smoothedRate = 0.0
    let started = Date()

    init(trainer: Trainer, printEvery: Int, display: ProgressDisplay, deadline: Date? = nil) {
        self.trainer = trainer
        self.printEvery = printEvery
        self.display = display
        self.deadline = deadline
        lastValidation = trainer.progress.history.validationLoss.last.map(Double.init) ?? .nan
    }

    func handle(_ event: TrainingEvent) {
        switch event {
        case .iteration(let r):
            characters += r.characters
            seconds += r.seconds
            lossSum += r.loss
            lossCount += 1
            let instant = r.seconds > 0 ? Double(r.characters) / r.seconds : 0
            smoothedRate = smoothedRate == 0 ? instant : 0.9 * smoothedRate + 0.1 * instant
            let due = r.iteration % printEvery == 0 || r.iteration == r.totalIterations || r.iteration == 1
            if display.mode == .live {
                let line = ProgressLine.training(
                    epoch: r.epoch, iteration: r.iteration, of: r.totalIterations, loss: r.loss, validationLoss: lastValidation,
                    charactersPerSecond: smoothedRate, secondsLeft: timeLeft(r, rate: smoothedRate))
                display.update(line, due: due, force: r.iteration == r.totalIterations)
            } else if due {
                let rate = seconds > 0 ? Double(characters) / seconds : 0
                let left = timeLeft(r, rate: rate)
                let width = String(r.totalIterations).count
                let iteration = String(repeating: " ", count: max(0, width - String(r.iteration).count)) + String(r.iteration)
                display.update(
                    "iter \(iteration)/\(r.totalIterations)  epoch \(String(format: "%6.2f", r.epoch))  loss \(Console.fixed(lossSum / Double(lossCount)))  val \(Console.fixed(lastValidation))  lr \(String(format: "%.2e", r.learningRate))  \(Console.grouped(Int(rate))) chars/s  ETA \(Console.duration(left))",
                    due: true)
            }
            if due {
                characters = 0
                seconds = 0
                lossSum = 0
                lossCount = 0
            }
        case .validation(let v):
            lastValidation = v.loss
            display.message(
                "validation at iteration \(v.iteration): loss \(Console.fixed(v.loss)) (\(Console.fixed(v.loss / log(2.0), 3)) bits/char)\(v.isBest ? ", best so far" : "")"
            )
        case .epochCompleted, .stepCompleted:
            break
        }
    }

    /// Seconds until the plan's last iteration at `rate`, or until --time-limit stops the run if
    /// that comes first.
    func timeLeft(_ r: IterationReport, rate: Double) -> Double {
        ProgressDisplay.secondsLeft(work: Double(r.totalIterations - r.iteration) * Double(r.characters), rate: rate, deadline: deadline)
    }

    func finish(outcome: TrainingOutcome) {
        display.finish()
        let p = trainer.progress
        let what = outcome == .completed ? "done" : "stopped"
        display.message(
            "\(what): \(p.iteration) iterations, \(Console.grouped(Int(p.charactersSeen))) characters in \(Console.duration(Date().timeIntervalSince(started))); best validation loss \(Console.fixed(p.bestValidationLoss))"
        )
    }
}
