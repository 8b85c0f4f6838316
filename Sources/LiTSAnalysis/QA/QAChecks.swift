import Foundation

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

    /// The whole dataset's findings: per case, then duplicates across cases.
    public static func all(_ facts: [QACaseFacts], failed: [String: String] = [:]) -> [QAFinding] {
        (facts.flatMap(caseFindings) + QADuplicates.findings(facts) + failed.map { unreadable($0.key, $0.value) })
            .sorted(by: QAFinding.precedes)
    }
}
