import Foundation
import XCTest

/// `lits train`'s QA gate: a training case that `lits qa` calls an error (here a header spacing
/// about 8x too small, the issue's lits-small64) stops the run before anything is preprocessed,
/// naming the case and the finding; `--allow-qa-errors` trains with a warning per finding.
final class QAGateTests: XCTestCase {
    static let small = ["--patch", "16,16,8", "--filters", "4,8", "--volumes-per-batch", "1", "--patches-per-volume", "1",
                        "--epochs", "1", "--batches-per-epoch", "1", "--spacing", "10,10,10"]

    func testQAErrorsStopTrainingUnlessAllowed() throws {
        let work = try makeTempDir(self), data = work + "/data"
        // Two adult-sized cases (body about 380 x 300 mm), and one whose header says 1.2 mm for 9.5 mm pixels.
        // (Shapes differ: the same voxels twice would be a duplicate, another QA error.)
        try writePhantomCase(dir: data, id: 1, shape: [40, 32, 20], spacing: [9.5, 9.5, 10])
        try writePhantomCase(dir: data, id: 2, shape: [42, 32, 20], spacing: [9.5, 9.5, 10])
        try writePhantomCase(dir: data, id: 3, shape: [40, 34, 20], spacing: [1.2, 1.2, 10])
        let qa = try runLits(["qa", data])
        XCTAssertEqual(qa.status, 1, "lits qa calls case 3 an error: \(qa.stdout)")
        XCTAssertTrue(qa.stdout.contains("3\terror\tspacing: body width"), qa.stdout)

        let t0 = Date()
        var r = try runLits(["train", data, "--out", work + "/run"] + Self.small)
        XCTAssertEqual(r.status, 1, r.stderr)
        let lines = errorLines(r)
        XCTAssertEqual(lines.count, 1, r.stderr)
        XCTAssertTrue(lines[0].hasPrefix("lits: error: \(data): QA error in the training data, case 3: spacing: body "), lines[0])
        XCTAssertTrue(lines[0].contains("most likely wrong by a factor"), lines[0])
        XCTAssertTrue(lines[0].contains("QA error"), lines[0])
        XCTAssertTrue(lines[0].hasSuffix("fix the case or leave it out with --split, or train anyway with --allow-qa-errors"), lines[0])
        XCTAssertLessThan(Date().timeIntervalSince(t0), 20, "stopped before training")
        XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/run"), "nothing preprocessed, no run folder")

        // Left out with a split: the gate checks only the cases the run reads.
        try Data(#"{"train": ["1"], "validation": ["2"], "test": ["3"]}"#.utf8).write(to: URL(fileURLWithPath: work + "/split.json"))
        r = try runLits(["train", data, "--out", work + "/split-run", "--split", work + "/split.json"] + Self.small)
        XCTAssertEqual(r.status, 0, r.stderr)

        r = try runLits(["train", data, "--out", work + "/run", "--allow-qa-errors"] + Self.small)
        XCTAssertEqual(r.status, 0, r.stderr)
        let warnings = r.stderr.components(separatedBy: "\n").filter { $0.hasPrefix("lits: warning: QA error allowed (--allow-qa-errors): case 3: spacing: ") }
        XCTAssertGreaterThanOrEqual(warnings.count, 1, r.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: work + "/run/last.safetensors"))
    }
}
