import Foundation
import LiTSAnalysis
import LiTSCore

/// `lits train`'s QA gate: the checks of `lits qa` on the raw cases a new run trains and
/// validates on, before anything is preprocessed or trained. A finding of severity error (an 8x
/// wrong spacing, uncalibrated HU, an empty label...) stops the run, unless the user allowed it.
public enum QAGate {
    /// The error findings of `cases` (each case's own checks, duplicates among them, unreadable
    /// cases), in `lits qa`'s order.
    public static func errors(of cases: [Case], threads: Int) -> [QAFinding] {
        let run = CaseRunner.run(cases, threads: threads, label: "qa") { c in try QARun.analyse(c, into: nil) }
        return QAChecks.all(run.results.map(\.1), failed: run.failedByID).filter { $0.severity == .error }
    }

    /// One finding as a line: "case 3: spacing: body width 48 mm (expected ...); <action>".
    public static func line(_ f: QAFinding) -> String {
        let action = f.action.hasSuffix(".") ? String(f.action.dropLast()) : f.action
        return "case \(f.caseID): \(f.check): \(f.measured) (expected \(f.expected)); \(action)"
    }

    /// Stops with the first error (and how many more there are) unless `allow`; with `allow`, each
    /// error goes to `warn`.
    public static func check(_ cases: [Case], data: String, allow: Bool, threads: Int, warn: (String) -> Void) throws {
        let found = errors(of: cases, threads: threads)
        guard let first = found.first else { return }
        if allow {
            for f in found { warn("QA error allowed (--allow-qa-errors): \(line(f))") }
            return
        }
        let more = found.count > 1 ? " (and \(found.count - 1) more QA error\(found.count == 2 ? "" : "s"); `lits qa \(data)` lists them)" : ""
        throw LiTSError(.invalidValues, path: data, "QA error in the training data, \(line(first))\(more); fix the case or leave it out with --split, or train anyway with --allow-qa-errors")
    }
}
