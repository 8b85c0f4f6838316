import Foundation
import XCTest
import LiTSCore

/// Issue #27, "every case counts, visibly", under `--protocol lits`: every truth case is a row of
/// lits-cases.csv, lits-scores.json and index.md with its status and reason; `--missing zero`
/// scores a missing or refused prediction as an empty one by the official rules (with the note
/// that applies), `--missing skip` leaves it out of the scores and lists it; "over N of M cases";
/// exit 1 after the complete report when any case was not scored from its own prediction.
final class LiTSProtocolCompletenessTests: XCTestCase {
    /// The official file's value of `name` (three decimals, as a string).
    func official(_ out: String, _ name: String) throws -> String? {
        let text = try String(contentsOfFile: out + "/data/scores.txt", encoding: .utf8)
        return text.split(separator: "\n").first { $0.hasPrefix(name + ": ") }.map { String($0.dropFirst(name.count + 2)) }
    }

    func jsonCases(_ out: String) throws -> [String: [String: Any]] {
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/data/lits-scores.json"))) as! [String: Any]
        return Dictionary(uniqueKeysWithValues: (json["cases"] as! [[String: Any]]).map { ($0["id"] as! String, $0) })
    }

    /// Case 1 predicted perfectly, case 2 without a prediction, case 3 on another grid.
    func makeThreeCases() throws -> (truth: String, pred: String) {
        let truth = try makeTempDir(self), pred = try makeTempDir(self)
        for id in 1...3 { try writePhantomCase(dir: truth, id: id) }
        try FileManager.default.copyItem(atPath: truth + "/segmentation-1.nii.gz", toPath: pred + "/segmentation-1.nii.gz")
        let other = try makeTempDir(self)
        try writePhantomCase(dir: other, id: 3, shape: [36, 32, 20])
        try FileManager.default.copyItem(atPath: other + "/segmentation-3.nii.gz", toPath: pred + "/segmentation-3.nii.gz")
        return (truth, pred)
    }

    func testMissingAndOtherGridPredictionsAreRowsScoredAsEmptyByTheOfficialRules() throws {
        let (truth, pred) = try makeThreeCases()
        let out = try makeTempDir(self) + "/zero"
        let r = try runLits(["evaluate", "--protocol", "lits", "--pred", pred, "--truth", truth, "--out", out])
        XCTAssertEqual(r.status, 1, "cases without a usable prediction keep a non-zero exit\n" + r.stderr)
        XCTAssertTrue(errorLines(r).contains { $0.contains("no prediction for case 2") }, r.stderr)
        XCTAssertTrue(errorLines(r).contains { $0.contains("segmentation-3.nii.gz") && $0.contains("does not match the truth's") }, r.stderr)
        XCTAssertTrue(errorLines(r).contains { $0.contains("2 of 3 cases were not scored from their own prediction") }, r.stderr)
        XCTAssertTrue(r.stdout.contains("scores over 3 of 3 cases"), r.stdout)

        let rows = try csvRows(out + "/data/lits-cases.csv")
        XCTAssertEqual(rows.map { $0[0] }, ["case", "1", "2", "3"], "every case given is a row")
        XCTAssertEqual(rows.map(\.count), [Int](repeating: rows[0].count, count: 4), "every row has every column")
        XCTAssertEqual(column(rows, "status", case: "1"), "scored")
        XCTAssertEqual(column(rows, "status", case: "2"), "missing")
        XCTAssertEqual(column(rows, "status", case: "3"), "refused")
        XCTAssertEqual(column(rows, "reason", case: "1"), "")
        XCTAssertTrue(column(rows, "reason", case: "2")?.contains("no prediction for case 2") ?? false)
        XCTAssertTrue(column(rows, "reason", case: "3")?.contains("does not match the truth's") ?? false)
        XCTAssertTrue(column(rows, "reason", case: "3")?.contains("scored as an empty prediction") ?? false)
        XCTAssertEqual(column(rows, "liver_dice", case: "1"), "1.000000")
        // An empty prediction under the official rules: no label 1, so liver Dice 0 and the
        // program's other liver-dice-0 values; the phantom's lesion missed: lesion Dice 0, FN.
        for id in ["2", "3"] {
            XCTAssertEqual(column(rows, "liver_dice", case: id), "0.000000")
            XCTAssertEqual(column(rows, "lesion_dice", case: id), "0.000000")
            XCTAssertEqual(column(rows, "liver_assd_mm", case: id), "9001.0000")
            XCTAssertEqual(column(rows, "note", case: id), "liver-dice-0", "the row carries the official rule that applies")
            XCTAssertEqual(column(rows, "predicted_lesions", case: id), "0")
        }
        XCTAssertEqual(column(rows, "note", case: "1"), "")
        // The means include the empty predictions: liver Dice per case (1 + 0 + 0) / 3.
        XCTAssertEqual(try official(out, "liver_dice_per_case"), "0.333")
        XCTAssertEqual(try official(out, "lesion_recall"), "0.333", "the two missed lesions are false negatives")

        let json = try jsonCases(out)
        XCTAssertEqual(json.count, 3)
        XCTAssertNil(json["1"]?["status"], "a case scored from its own prediction has no status to explain")
        XCTAssertEqual(json["2"]?["status"] as? String, "missing")
        XCTAssertEqual(json["3"]?["status"] as? String, "refused")
        XCTAssertEqual(json["2"]?["notes"] as? [String], ["liver-dice-0"])
        XCTAssertEqual(json["3"]?["liverDice"] as? Double, 0)
        let file = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/data/lits-scores.json"))) as! [String: Any]
        XCTAssertEqual(file["casesGiven"] as? Int, 3)
        XCTAssertEqual((file["scores"] as? [String: Any])?["cases"] as? Int, 3)

        let page = try String(contentsOfFile: out + "/index.md", encoding: .utf8)
        XCTAssertTrue(page.contains("The scores are over 3 of 3 cases"), page)
        XCTAssertTrue(page.contains("2 without a usable prediction are scored as an empty prediction"), page)
        XCTAssertTrue(page.contains("| 1 | scored |"), page)
        XCTAssertTrue(page.contains("| 2 | missing, scored as empty |") && page.contains("| liver-dice-0 |"), page)
        XCTAssertTrue(page.contains("| 3 | refused, scored as empty |"), page)
        XCTAssertTrue(page.contains("Case 3 (refused): ") && page.contains("`liver-dice-0`: the prediction has no label 1"), page)
        XCTAssertFalse(page.contains("was not scored:"), "no more bullets in place of rows\n" + page)
    }

    func testMissingSkipLeavesCasesOutOfTheScoresAndListsThem() throws {
        let (truth, pred) = try makeThreeCases()
        let out = try makeTempDir(self) + "/skip"
        let r = try runLits(["evaluate", "--protocol", "lits", "--missing", "skip", "--pred", pred, "--truth", truth, "--out", out])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stdout.contains("scores over 1 of 3 cases"), r.stdout)
        XCTAssertTrue(errorLines(r).contains { $0.contains("left out of the means") }, r.stderr)

        let rows = try csvRows(out + "/data/lits-cases.csv")
        XCTAssertEqual(rows.map { $0[0] }, ["case", "1", "2", "3"])
        XCTAssertEqual(rows.map(\.count), [Int](repeating: rows[0].count, count: 4), "every row has every column")
        XCTAssertEqual(column(rows, "liver_dice", case: "2"), "", "not scored: no number at all")
        XCTAssertEqual(column(rows, "liver_dice", case: "3"), "")
        XCTAssertEqual(column(rows, "note", case: "2"), "")
        XCTAssertEqual(column(rows, "status", case: "2"), "missing")
        XCTAssertEqual(column(rows, "status", case: "3"), "refused")
        XCTAssertTrue(column(rows, "reason", case: "2")?.contains("left out of the means") ?? false)
        // Only case 1 (a perfect prediction) in the scores.
        XCTAssertEqual(try official(out, "liver_dice_per_case"), "1.000")
        XCTAssertEqual(try official(out, "lesion_recall"), "1.000")

        let json = try jsonCases(out)
        XCTAssertEqual(json.count, 3)
        XCTAssertNil(json["2"]?["liverDice"], "no scores for a skipped case")
        XCTAssertEqual(json["2"]?["status"] as? String, "missing")
        XCTAssertTrue((json["3"]?["reason"] as? String)?.contains("does not match the truth's") ?? false)

        let page = try String(contentsOfFile: out + "/index.md", encoding: .utf8)
        XCTAssertTrue(page.contains("The scores are over 1 of 3 cases"), page)
        XCTAssertTrue(page.contains("| 2 | missing | n/a |"), page)
        let listed = page.components(separatedBy: "## Lesion detection")[0]
        XCTAssertTrue(listed.contains("Case 2 (missing)") && listed.contains("Case 3 (refused)"), "listed above the scores\n" + page)
    }

    func testEveryPredictionPresentExitsZero() throws {
        let truth = try makeTempDir(self), pred = try makeTempDir(self)
        try writePhantomCase(dir: truth, id: 1)
        try FileManager.default.copyItem(atPath: truth + "/segmentation-1.nii.gz", toPath: pred + "/segmentation-1.nii.gz")
        let out = try makeTempDir(self) + "/r"
        let r = try runLits(["evaluate", "--protocol", "lits", "--pred", pred, "--truth", truth, "--out", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("scores over 1 of 1 cases"), r.stdout)
        let page = try String(contentsOfFile: out + "/index.md", encoding: .utf8)
        XCTAssertTrue(page.contains("The scores are over 1 of 1 cases."), page)
    }

    /// A truth that cannot be read is an `error` row; no case with a usable prediction: no report.
    func testUnreadableTruthIsAnErrorRowAndNoUsablePredictionWritesNothing() throws {
        let (truth, pred) = try makeThreeCases()
        try writePhantomCase(dir: truth, id: 4)
        try Data("not a NIfTI file".utf8).write(to: URL(fileURLWithPath: truth + "/segmentation-4.nii.gz"))
        let out = try makeTempDir(self) + "/r"
        let r = try runLits(["evaluate", "--protocol", "lits", "--pred", pred, "--truth", truth, "--out", out])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stdout.contains("scores over 3 of 4 cases"), r.stdout)
        let rows = try csvRows(out + "/data/lits-cases.csv")
        XCTAssertEqual(rows.map { $0[0] }, ["case", "1", "2", "3", "4"])
        XCTAssertEqual(column(rows, "status", case: "4"), "error")
        XCTAssertTrue(column(rows, "reason", case: "4")?.contains("segmentation-4.nii.gz") ?? false)

        let empty = try makeTempDir(self), none = try makeTempDir(self) + "/none"
        let n = try runLits(["evaluate", "--protocol", "lits", "--pred", empty, "--truth", truth, "--out", none])
        XCTAssertEqual(n.status, 1)
        XCTAssertTrue(errorLines(n).contains { $0.contains("no case has a usable prediction") }, n.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: none + "/index.md"), "no report without one usable prediction")
    }
}
