import Foundation
import LiTSCore

/// Every per-case check, in the order the report lists them.
public enum QAChecks {
    public static func caseFindings(_ f: QACaseFacts) -> [QAFinding] {
        let calibrated = QAIntensity.isCalibrated(f)
        return (QAIntensity.findings(f) + QASpacing.findings(f, calibrated: calibrated) + QALabels.findings(f, calibrated: calibrated)
                + QAFieldOfView.findings(f, calibrated: calibrated)).sorted(by: QAFinding.precedes)
    }

    /// A case that could not be read is a finding too (an error).
    public static func unreadable(_ id: String, _ message: String) -> QAFinding {
        QAFinding(id, "readable", .error, measured: message, expected: "a readable image (and label) pair",
                  action: "Fix or replace the file; the case cannot be used as it is.")
    }

    /// A case whose own outputs could not be written (a full disk): the input is not at fault.
    public static func notSaved(_ id: String, _ message: String) -> QAFinding {
        QAFinding(id, "saved", .error, measured: message, expected: "the case's facts and montage written to the report folder",
                  action: "Free space on the device (or choose another --out) and rerun; the input was not judged.")
    }

    /// A failed case as a finding: `notSaved` when its message names a file inside `output`
    /// (the report folder), `unreadable` otherwise.
    static func failure(_ id: String, _ message: String, output: String?) -> QAFinding {
        if let output, message.hasPrefix(output.hasSuffix("/") ? output : output + "/") { return notSaved(id, message) }
        return unreadable(id, message)
    }

    /// A file dataset discovery passed over (a dangling link, a folder named like a case file, an
    /// MSD image without its label) is a finding of the dataset (case "-"), so no report hides it.
    public static func skipped(_ file: SkippedFile) -> QAFinding {
        QAFinding("-", "skipped file", .warning, measured: "\(file.path): \(file.reason)",
                  expected: "every file named like a case file is part of a readable case",
                  action: "Fix the link or the file, or move it out of the dataset folder.")
    }

    /// The whole dataset's findings: per case, then duplicates across cases, then skipped files.
    /// `output`: the report folder, to tell a case that could not be saved from one that could not be read.
    public static func all(_ facts: [QACaseFacts], failed: [String: String] = [:], skipped: [SkippedFile] = [],
                           output: String? = nil) -> [QAFinding] {
        (facts.flatMap(caseFindings) + QADuplicates.findings(facts) + failed.map { failure($0.key, $0.value, output: output) }
            + skipped.map(Self.skipped))
            .sorted(by: QAFinding.precedes)
    }
}
