import Foundation
import XCTest

/// `lits predict` says what it is doing: where stderr is not a terminal (here a pipe), a line
/// with the windows done and the ETAs (at most every 10 s) and one summary line per case.
final class PredictProgressTests: XCTestCase {
    func testEachCaseGetsProgressAndASummaryLine() throws {
        let data = try makeTempDir(self), work = try makeTempDir(self)
        let run = try trainTinyRun(data: data, work: work)
        let r = try runLits(["predict", "--run", run, data, "--out", work + "/p"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stderr.split(separator: "\n").map(String.init)
        XCTAssertFalse(r.stderr.contains("\r") || r.stderr.contains("\u{1B}["), "no terminal control characters in a pipe")
        for (n, id) in ["1", "2"].enumerated() {
            let summary = lines.filter { $0.hasPrefix("case \(id) (\(n + 1)/2): ") && $0.contains(" windows in ") }
            XCTAssertEqual(summary.count, 1, r.stderr)
            XCTAssertTrue(summary.first?.hasSuffix("-> segmentation-\(id).nii.gz") ?? false, r.stderr)
            XCTAssertTrue(summary.first?.contains("liver ") ?? false, r.stderr)
        }
        // The first progress line of the job is printed (the rest of a case's within 10 s are not).
        let during = lines.filter { $0.hasPrefix("case 1 (1/2): windows ") }
        XCTAssertEqual(during.count, 1, r.stderr)
        XCTAssertTrue(during.first?.contains("ETA case ") ?? false, r.stderr)
        XCTAssertTrue(during.first?.contains(", all ") ?? false, r.stderr)
    }
}
