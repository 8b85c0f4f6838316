import Foundation
import LiTSRender

/// How bad a QA finding is: an error poisons training or evaluation (fix or drop the case), a
/// warning needs a look, a note is information.
public enum QASeverity: String, Codable, Sendable, CaseIterable, Comparable {
    case error, warning, note

    var rank: Int { self == .error ? 0 : self == .warning ? 1 : 2 }
    public static func < (a: QASeverity, b: QASeverity) -> Bool { a.rank < b.rank }
}

/// The slice that shows a finding (canonical RAS+ grid), and the HU window to show it in.
public struct QAEvidence: Codable, Equatable, Sendable {
    public var plane: Plane
    public var index: Int
    public var window: [Float]

    public init(plane: Plane, index: Int, window: [Float] = [-160, 240]) {
        self.plane = plane
        self.index = index
        self.window = window
    }

    public var note: String { "\(plane.rawValue) \(plane == .axial ? "k" : plane == .coronal ? "j" : "i")=\(index)" }
}

/// One row of `lits qa`: a case, a check, a severity, what was measured against what was
/// expected, and one sentence of what to do.
public struct QAFinding: Codable, Equatable, Sendable {
    public var caseID: String
    public var check: String
    public var severity: QASeverity
    public var measured: String
    public var expected: String
    public var action: String
    public var evidence: QAEvidence?

    public init(_ caseID: String, _ check: String, _ severity: QASeverity, measured: String, expected: String,
                action: String, evidence: QAEvidence? = nil) {
        self.caseID = caseID
        self.check = check
        self.severity = severity
        self.measured = measured
        self.expected = expected
        self.action = action
        self.evidence = evidence
    }

    /// Case order (numbers numerically), then severity, then check.
    public static func precedes(_ a: QAFinding, _ b: QAFinding) -> Bool {
        if a.caseID != b.caseID {
            switch (Int(a.caseID), Int(b.caseID)) {
            case let (x?, y?): return x < y
            default: return a.caseID < b.caseID
            }
        }
        if a.severity != b.severity { return a.severity < b.severity }
        return a.check < b.check
    }
}

/// Number formatting shared by the checks' messages.
enum QAFormat {
    static func f(_ x: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", x) }
    static func mm(_ x: Double) -> String { f(x, 0) + " mm" }
    static func pct(_ x: Double) -> String { f(100 * x, x < 0.01 ? 2 : 1) + "%" }
    static func spacing(_ s: [Double]) -> String { s.map { f($0, 3) }.joined(separator: ", ") }
}
