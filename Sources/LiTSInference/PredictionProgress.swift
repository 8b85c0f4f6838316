import Foundation
import LiTSCore

/// Windows of one case as the sliding window predicts them: the models add what they expect and
/// count what they have done; `changed` hears every count. One case at a time.
public final class WindowCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var done = 0, total = 0
    private let changed: @Sendable (_ done: Int, _ total: Int) -> Void

    public init(changed: @escaping @Sendable (_ done: Int, _ total: Int) -> Void = { _, _ in }) {
        self.changed = changed
    }

    /// `n` more windows to come (negative: fewer than announced).
    public func expect(_ n: Int) {
        lock.lock(); total += n; lock.unlock()
    }

    /// `n` windows predicted.
    public func count(_ n: Int) {
        lock.lock(); done += n; let (d, t) = (done, max(total, done)); lock.unlock()
        changed(d, t)
    }

    public var windows: (done: Int, total: Int) {
        lock.lock(); defer { lock.unlock() }
        return (done, total)
    }
}

/// What `lits predict` says while it works: during a case, windows done of the case's total with
/// the ETA of the case and of the whole job; after it, one summary line. The lines go to `report`
/// (the command prints them; it throttles the `during` ones where stderr is not a terminal).
public final class PredictionProgress: @unchecked Sendable {
    public enum Line: Sendable {
        /// Within a case (replaceable by the next one).
        case during(String)
        /// One case finished (always printed).
        case finished(String)
    }

    private let lock = NSLock()
    private let cases: Int
    private let report: @Sendable (Line) -> Void
    private var finishedCases = 0
    private var secondsOfFinished = 0.0
    private var caseStart = Date()
    private var caseID = ""

    public init(cases: Int, report: @escaping @Sendable (Line) -> Void) {
        self.cases = cases
        self.report = report
    }

    /// A counter for case `id`'s windows, its lines reported as they come.
    public func startCase(_ id: String) -> WindowCounter {
        lock.lock()
        caseStart = Date()
        caseID = id
        lock.unlock()
        return WindowCounter { [weak self] done, total in self?.windowsDone(done, of: total) }
    }

    private func windowsDone(_ done: Int, of total: Int) {
        lock.lock()
        let elapsed = Date().timeIntervalSince(caseStart)
        let caseETA = done > 0 ? elapsed / Double(done) * Double(total - done) : 0
        // The cases after this one take what the finished ones took on average (this one's
        // projected time when none has finished yet).
        let perCase = finishedCases > 0 ? secondsOfFinished / Double(finishedCases) : elapsed + caseETA
        let left = max(0, cases - finishedCases - 1)
        let text = "case \(caseID) (\(finishedCases + 1)/\(cases)): windows \(done)/\(total), ETA case \(Self.clock(caseETA)), all \(Self.clock(caseETA + perCase * Double(left)))"
        lock.unlock()
        report(.during(text))
    }

    /// Case `id` is done: its summary line (`what`: the file written and what is in it).
    public func finishCase(_ id: String, windows: Int, _ what: String) {
        lock.lock()
        let seconds = Date().timeIntervalSince(caseStart)
        finishedCases += 1
        secondsOfFinished += seconds
        let text = "case \(id) (\(finishedCases)/\(cases)): \(windows) windows in \(String(format: "%.1f", seconds)) s; \(what)"
        lock.unlock()
        report(.finished(text))
    }

    /// A case that failed still counts towards the job's ETA.
    public func failCase() {
        lock.lock()
        finishedCases += 1
        secondsOfFinished += Date().timeIntervalSince(caseStart)
        lock.unlock()
    }

    static func clock(_ seconds: Double) -> String {
        let s = Int(max(0, seconds).rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
