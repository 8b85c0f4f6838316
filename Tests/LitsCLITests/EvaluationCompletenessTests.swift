import Foundation
import XCTest
import LiTSCore

/// Issue #27, "every case counts, visibly": every truth case is a row of cases.csv,
/// evaluation.json and index.md with its status and reason; `--missing zero|skip` decides the
/// means; metrics a case does not define are empty / null / n/a, never 0; `--protocol lits` names
/// the official special values; the error sentence considers "outside" the liver too.
final class EvaluationCompletenessTests: XCTestCase {
    func jsonCases(_ out: String) throws -> [String: [String: Any]] {
        let array = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/data/evaluation.json"))) as! [[String: Any]]
        return Dictionary(uniqueKeysWithValues: array.map { ($0["id"] as! String, $0) })
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

    func testMissingAndOtherGridPredictionsAreRowsScoredAsEmptyByDefault() throws {
        let (truth, pred) = try makeThreeCases()
        let out = try makeTempDir(self) + "/zero"
        let r = try runLits(["evaluate", "--pred", pred, "--truth", truth, "--out", out])
        XCTAssertEqual(r.status, 1, "cases without a usable prediction keep a non-zero exit")
        XCTAssertTrue(errorLines(r).contains { $0.contains("no prediction for case 2") }, r.stderr)
        XCTAssertTrue(errorLines(r).contains { $0.contains("segmentation-3.nii.gz") && $0.contains("not the same grid") }, r.stderr)
        XCTAssertTrue(r.stdout.contains("means over 3 of 3 cases"), r.stdout)

        let rows = try csvRows(out + "/data/cases.csv")
        XCTAssertEqual(rows.map { $0[0] }, ["case", "1", "2", "3"], "every case given is a row")
        XCTAssertEqual(column(rows, "status", case: "1"), "scored")
        XCTAssertEqual(column(rows, "status", case: "2"), "missing")
        XCTAssertEqual(column(rows, "status", case: "3"), "refused")
        XCTAssertTrue(column(rows, "reason", case: "2")?.contains("no prediction for case 2") ?? false)
        XCTAssertTrue(column(rows, "reason", case: "3")?.contains("not the same grid") ?? false)
        XCTAssertTrue(column(rows, "reason", case: "3")?.contains("scored as an empty prediction") ?? false)
        XCTAssertEqual(column(rows, "liver_dice", case: "1"), "1.000000")
        XCTAssertEqual(column(rows, "liver_dice", case: "2"), "0.000000", "an empty prediction misses the whole liver")
        XCTAssertEqual(column(rows, "liver_dice", case: "3"), "0.000000")

        let json = try jsonCases(out)
        XCTAssertEqual(json["2"]?["status"] as? String, "missing")
        XCTAssertEqual(json["3"]?["status"] as? String, "refused")
        XCTAssertNil(json["1"]?["status"], "a case scored from its own prediction has no status to explain")

        let page = try String(contentsOfFile: out + "/index.md", encoding: .utf8)
        XCTAssertTrue(page.contains("The means are over 3 of 3 cases"), page)
        XCTAssertTrue(page.contains("| mean Dice per case | 0.333 (3) |"), page)
        XCTAssertTrue(page.contains("| 2 | missing, scored as empty |"), page)
        XCTAssertTrue(page.contains("| 3 | refused, scored as empty |"), page)
    }

    func testMissingSkipLeavesCasesOutOfTheMeansAndListsThem() throws {
        let (truth, pred) = try makeThreeCases()
        let out = try makeTempDir(self) + "/skip"
        let r = try runLits(["evaluate", "--pred", pred, "--truth", truth, "--out", out, "--missing", "skip"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stdout.contains("means over 1 of 3 cases"), r.stdout)
        XCTAssertTrue(r.stdout.contains("case 2: missing, not scored"), r.stdout)

        let rows = try csvRows(out + "/data/cases.csv")
        XCTAssertEqual(rows.map { $0[0] }, ["case", "1", "2", "3"])
        XCTAssertEqual(column(rows, "liver_dice", case: "2"), "", "not scored: no number at all")
        XCTAssertEqual(column(rows, "liver_dice", case: "3"), "")
        XCTAssertEqual(column(rows, "status", case: "3"), "refused")
        XCTAssertTrue(column(rows, "reason", case: "2")?.contains("left out of the means") ?? false)
        XCTAssertEqual(rows.map(\.count), [Int](repeating: rows[0].count, count: 4), "every row has every column")

        let json = try jsonCases(out)
        XCTAssertEqual(json.count, 3)
        XCTAssertNil(json["2"]?["liver"], "no metrics for a skipped case")
        XCTAssertEqual(json["2"]?["status"] as? String, "missing")
        XCTAssertTrue((json["3"]?["reason"] as? String)?.contains("not the same grid") ?? false)

        let page = try String(contentsOfFile: out + "/index.md", encoding: .utf8)
        XCTAssertTrue(page.contains("The means are over 1 of 3 cases"), page)
        XCTAssertTrue(page.contains("| mean Dice per case | 1.000 (1) |"), page)
        let listed = page.components(separatedBy: "## Summary")[0]
        XCTAssertTrue(listed.contains("Case 2 (missing)") && listed.contains("Case 3 (refused)"), "listed above the means\n" + page)
    }

    func testEveryPredictionPresentExitsZero() throws {
        let truth = try makeTempDir(self), pred = try makeTempDir(self)
        try writePhantomCase(dir: truth, id: 1)
        try FileManager.default.copyItem(atPath: truth + "/segmentation-1.nii.gz", toPath: pred + "/segmentation-1.nii.gz")
        let r = try runLits(["evaluate", "--pred", pred, "--truth", truth, "--out", try makeTempDir(self) + "/r"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("means over 1 of 1 cases"), r.stdout)
    }

    /// A case without any lesion on either side: lesion Dice and distances are not defined.
    func testUndefinedMetricIsEmptyNullAndNotApplicableNeverZero() throws {
        let truth = try makeTempDir(self), pred = try makeTempDir(self), out = try makeTempDir(self) + "/r"
        try writePhantomCase(dir: truth, id: 1, labelOverride: { $0.voxels = $0.voxels.map { $0 == 2 ? 1 : $0 } })
        try writePhantomCase(dir: truth, id: 2)  // with a lesion, so that the charts have a point to plot
        for id in 1...2 { try FileManager.default.copyItem(atPath: truth + "/segmentation-\(id).nii.gz", toPath: pred + "/segmentation-\(id).nii.gz") }
        let r = try runLits(["evaluate", "--pred", pred, "--truth", truth, "--out", out])
        XCTAssertEqual(r.status, 0, r.stderr)

        let rows = try csvRows(out + "/data/cases.csv")
        for name in ["lesion_dice", "lesion_jaccard", "lesion_voe", "lesion_rvd", "lesion_assd_mm", "lesion_hd_mm", "lesion_hd95_mm", "lesion_nsd"] {
            XCTAssertEqual(column(rows, name, case: "1"), "", "\(name) is not defined: an empty field")
        }
        XCTAssertEqual(column(rows, "liver_dice", case: "1"), "1.000000")
        let regions = try csvRows(out + "/data/regions.csv")
        XCTAssertTrue(regions.dropFirst().filter { $0[0] == "1" }.allSatisfy { $0[5] == "" }, "no region of case 1 has a lesion: lesion Dice empty\n\(regions)")

        let lesion = try jsonCases(out)["1"]?["lesion"] as? [String: Any]
        for key in ["dice", "jaccard", "assd", "hausdorff", "hd95", "nsd"] {
            XCTAssertTrue(lesion?[key] is NSNull, "\(key) is null in evaluation.json: \(String(describing: lesion?[key]))")
        }

        let page = try String(contentsOfFile: out + "/index.md", encoding: .utf8)
        XCTAssertTrue(page.contains("| mean Dice per case | 1.000 (2) | 1.000 (1) |"), "the lesion mean is over the one case that defines it\n" + page)
        XCTAssertTrue(page.contains("| 1 | scored | 1.000 | 0.00 | 0.00 | n/a |"), page)
        XCTAssertTrue(page.contains("never replaced by 0"), "the convention is stated")
        XCTAssertTrue(page.contains("MetricsReloaded"), "and whose it is")

        // The merge of shards reads null back: the same report.
        let parts = try makeTempDir(self)
        XCTAssertEqual(try runLits(["evaluate", "--pred", pred, "--truth", truth, "--out", parts + "/1", "--shard", "1/1"]).status, 0)
        let m = try runLits(["evaluate", "merge", parts + "/1", "--out", parts + "/merged"])
        XCTAssertEqual(m.status, 0, m.stderr)
        XCTAssertEqual(try String(contentsOfFile: parts + "/merged/data/cases.csv", encoding: .utf8),
                       try String(contentsOfFile: out + "/data/cases.csv", encoding: .utf8))
    }

    /// A prediction that calls the whole liver tumour: the official liver Dice 0, and the row says why.
    func testLiTSProtocolNamesTheSpecialValueRule() throws {
        let truth = try makeTempDir(self), pred = try makeTempDir(self), out = try makeTempDir(self) + "/r"
        try writePhantomCase(dir: truth, id: 1)
        try writePhantomCase(dir: truth, id: 2)
        try writePhantomCase(dir: try makeTempDir(self) + "/x", id: 1)
        let tumour = try makeTempDir(self)
        try writePhantomCase(dir: tumour, id: 1, labelOverride: { $0.voxels = $0.voxels.map { $0 >= 1 ? 2 : 0 } })
        try FileManager.default.copyItem(atPath: tumour + "/segmentation-1.nii.gz", toPath: pred + "/segmentation-1.nii.gz")
        try FileManager.default.copyItem(atPath: truth + "/segmentation-2.nii.gz", toPath: pred + "/segmentation-2.nii.gz")
        let r = try runLits(["evaluate", "--protocol", "lits", "--pred", pred, "--truth", truth, "--out", out])
        XCTAssertEqual(r.status, 0, r.stderr)

        let rows = try csvRows(out + "/data/lits-cases.csv")
        XCTAssertEqual(column(rows, "liver_dice", case: "1"), "0.000000")
        XCTAssertEqual(column(rows, "note", case: "1"), "liver-dice-0")
        XCTAssertEqual(column(rows, "note", case: "2"), "", "a case scored by the formulas has no note")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/data/lits-scores.json"))) as! [String: Any]
        let cases = json["cases"] as! [[String: Any]]
        XCTAssertEqual(cases.first { $0["id"] as? String == "1" }?["notes"] as? [String], ["liver-dice-0"])
        let page = try String(contentsOfFile: out + "/index.md", encoding: .utf8)
        XCTAssertTrue(page.contains("| 0.000 | 9001.0000 | liver-dice-0 |") || page.contains("| liver-dice-0 |"), page)
        XCTAssertTrue(page.contains("`liver-dice-0`: the prediction has no label 1"), page)
    }

    /// Prediction right inside the liver but with a slab of false liver on slices below it: the
    /// sentence names "outside", not a third.
    func testErrorSentenceNamesOutsideWhenItHoldsMostError() throws {
        let truth = try makeTempDir(self), pred = try makeTempDir(self), out = try makeTempDir(self) + "/r"
        try writePhantomCase(dir: truth, id: 1)
        // Truth liver spans k 7...17 (of 20); a few FN voxels in the top third and a slab of FP on
        // slices 0-2, outside the liver.
        try writePhantomCase(dir: pred, id: 1, labelOverride: { labels in
            for j in 0..<32 { for i in 0..<40 { for k in 0..<3 { labels[i, j, k] = 1 } } }
            for j in 0..<32 { for i in 0..<40 where labels[i, j, 16] == 1 { labels[i, j, 16] = 0 } }
        })
        let r = try runLits(["evaluate", "--pred", pred, "--truth", truth, "--out", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        let page = try String(contentsOfFile: out + "/index.md", encoding: .utf8)
        XCTAssertTrue(page.contains("Most of the error (") && page.contains("lies **outside** the true liver's slices"), page)
        XCTAssertFalse(page.contains("lies in the **top** third"), page)
    }
}
