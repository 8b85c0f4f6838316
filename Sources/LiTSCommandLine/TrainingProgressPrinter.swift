import Foundation
import LiTSTraining

/// What `lits train` shows while it trains, for one run and for a cross-validation's folds alike:
/// the progress line on stderr (rewritten in place on a terminal; in a log file a line every 10 s
/// and one where validation starts or ends) and one line per finished epoch on stdout.
public final class TrainingProgressPrinter {
    let live = isatty(STDERR_FILENO) == 1
    var lastLine = Date.distantPast
    var lastWasValidation = false

    public init() {}

    public func progress(_ line: String) {
        let validation = line.contains(" validating ")
        if live { FileHandle.standardError.write(Data("\r\(line)\u{1B}[K".utf8)) }
        else if Date().timeIntervalSince(lastLine) > 10 || validation != lastWasValidation {
            FileHandle.standardError.write(Data("\(line)\n".utf8))
            lastLine = Date()
        }
        lastWasValidation = validation
    }

    /// "epoch 3: train loss ..., Dice liver ..., lesion ..., lr ... (best)", after "fold k " in a cross-validation.
    public func epochFinished(_ record: EpochRecord, isBest: Bool, fold: Int? = nil) {
        endProgressLine()
        print((fold.map { "fold \($0) " } ?? "") + String(format: "epoch %d: train loss %.4f, Dice liver %@, lesion %@, lr %.2g%@",
              record.epoch, record.trainLoss, record.diceLiver.map { String(format: "%.3f", $0) } ?? "-",
              record.diceLesion.map { String(format: "%.3f", $0) } ?? "-", record.learningRate, isBest ? " (best)" : ""))
    }

    /// Ends the line a terminal's progress was rewriting.
    public func endProgressLine() {
        if live { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
