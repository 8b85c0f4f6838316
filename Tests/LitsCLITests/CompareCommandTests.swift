import Foundation
import XCTest
import LiTSCore

/// `lits evaluate --compare REF OTHER...` on three real evaluation reports of phantom predictions.
final class CompareCommandTests: XCTestCase {
    static let shapes: [[Int]] = [[40, 32, 20], [44, 32, 20], [40, 36, 20], [40, 32, 24], [48, 36, 20]]

    /// Truth cases 1...5 (case 5 without a lesion) and, for report C only, case 6.
    func writeTruth(_ dir: String, extraCase: Bool) throws {
        for (n, shape) in Self.shapes.enumerated() {
            try writePhantomCase(dir: dir, id: n + 1, shape: shape,
                                 labelOverride: n == 4 ? { labels in for i in labels.voxels.indices where labels.voxels[i] == 2 { labels.voxels[i] = 1 } } : nil)
        }
        if extraCase { try writePhantomCase(dir: dir, id: 6) }
    }

    /// Each truth segmentation of `truth`, changed by `edit` (case id, labels), as `dir`'s predictions.
    func writePredictions(_ dir: String, truth: String, ids: [Int], edit: (Int, inout LabelMap) -> Void) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for id in ids {
            var (labels, _) = try NIfTIReader.readLabels(path: "\(truth)/segmentation-\(id).nii.gz")
            edit(id, &labels)
            try NIfTIWriter.write(labels, to: "\(dir)/segmentation-\(id).nii.gz")
        }
    }

    /// What `lits predict` leaves for `--compare` to find the run: predictions.json naming the
    /// run folder (its format: PredictionJob.writeRecord), and the run's config.json.
    func recordRun(predictions: String, ids: [Int], run: String, config: String) throws {
        try FileManager.default.createDirectory(atPath: run, withIntermediateDirectories: true)
        try config.write(toFile: "\(run)/config.json", atomically: true, encoding: .utf8)
        let record: [String: [String]] = ["run": [run], "checkpoint": ["\(run)/best.safetensors"],
                                          "files": ids.map { "segmentation-\($0).nii.gz" }, "failed": []]
        try JSONSerialization.data(withJSONObject: record).write(to: URL(fileURLWithPath: "\(predictions)/predictions.json"))
    }

    /// Columns of a CSV by header name, one dictionary per row.
    func readCSV(_ path: String) throws -> [[String: String]] {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
        let header = lines[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        return lines.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(header, $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init))) }
    }

    /// Three reports: A (reference, perfect predictions of a "uniform" run), B (the top slices of
    /// each liver missed, more in later cases, and case 2's tumour missed: a "liver-biased" run),
    /// C (one liver voxel fewer per case, so its Dice differences are about -0.0003, which once
    /// printed as "-0.000"; its truth has a sixth case; its predictions have no run record).
    func makeReports(_ work: String) throws -> (a: String, b: String, c: String) {
        let truth = work + "/truth", truthC = work + "/truth-c"
        try writeTruth(truth, extraCase: false)
        try writeTruth(truthC, extraCase: true)
        let ids = Array(1...5)
        try writePredictions(work + "/pred-a", truth: truth, ids: ids) { _, _ in }
        try writePredictions(work + "/pred-b", truth: truth, ids: ids) { id, labels in
            let nz = labels.grid.shape[2], cut = nz - 2 - id  // slices from `cut` up lose their liver
            for k in cut..<nz { for j in 0..<labels.grid.shape[1] { for i in 0..<labels.grid.shape[0] where labels[i, j, k] == 1 { labels[i, j, k] = 0 } } }
            if id == 2 { for i in labels.voxels.indices where labels.voxels[i] == 2 { labels.voxels[i] = 1 } }
        }
        try writePredictions(work + "/pred-c", truth: truthC, ids: ids + [6]) { _, labels in
            if let i = labels.voxels.firstIndex(of: 1) { labels.voxels[i] = 0 }
        }
        try recordRun(predictions: work + "/pred-a", ids: ids, run: work + "/run-uniform",
                      config: #"{"epochs": 20, "lr": 0.001, "sampling": {"kind": "uniform"}, "seed": 1}"#)
        try recordRun(predictions: work + "/pred-b", ids: ids, run: work + "/run-biased",
                      config: #"{"epochs": 20, "lr": 0.0005, "sampling": {"kind": "liverBiased", "pLiver": 0.4}, "seed": 1}"#)
        for (pred, t, out) in [("pred-a", truth, "a"), ("pred-b", truth, "b"), ("pred-c", truthC, "c")] {
            let r = try runLits(["evaluate", "--pred", work + "/" + pred, "--truth", t, "--out", work + "/" + out])
            XCTAssertEqual(r.status, 0, "\(out): \(r.stderr)")
        }
        return (work + "/a", work + "/b", work + "/c")
    }

    func testThreeReportsPairedStatisticsChartCSVAndConfig() throws {
        let work = try makeTempDir(self)
        let (a, b, c) = try makeReports(work)
        let out = work + "/cmp"
        let r = try runLits(["evaluate", "--compare", a, b, c, "--out", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        let index = try String(contentsOfFile: out + "/index.md", encoding: .utf8)

        // compare.csv: per metric and report; the mean difference is the mean of the per-case
        // differences of the two reports' cases.csv.
        let rows = try readCSV(out + "/data/compare.csv")
        XCTAssertEqual(rows.count, 2 * 10)
        func row(_ metric: String, _ report: String) -> [String: String] {
            rows.first { $0["metric"] == metric && $0["report"] == report } ?? [:]
        }
        let casesA = try readCSV(a + "/data/cases.csv"), casesB = try readCSV(b + "/data/cases.csv")
        let diffs = zip(casesA, casesB).map { Double($1["liver_dice"]!)! - Double($0["liver_dice"]!)! }
        let liverB = row("liver_dice", b)
        XCTAssertEqual(liverB["n"], "5")
        XCTAssertEqual(Double(liverB["mean_difference"]!)!, diffs.reduce(0, +) / 5, accuracy: 1e-5)
        XCTAssertLessThan(Double(liverB["ci_low"]!)!, Double(liverB["mean_difference"]!)!)
        XCTAssertLessThan(Double(liverB["ci_high"]!)!, 0, "every case got worse: the interval lies below 0")
        XCTAssertGreaterThanOrEqual(Double(liverB["ci_low"]!)!, diffs.min()! - 1e-9)
        // Five distinct negative differences: exact p = 2 / 2^5.
        XCTAssertEqual(liverB["wilcoxon_p"], "0.0625")
        XCTAssertEqual(liverB["p_method"], "exact")
        // Lesion Dice is not defined for case 5 (no lesion in truth or prediction): 4 pairs.
        XCTAssertEqual(row("lesion_dice", b)["n"], "4")
        XCTAssertTrue(Double(row("lesion_dice", b)["mean_difference"]!)! < -0.2)
        // C: cases 1...5 in both; liver Dice about 0.0003 lower in each.
        let liverC = row("liver_dice", c)
        XCTAssertEqual(liverC["n"], "5")
        XCTAssertEqual(Double(liverC["mean_difference"]!)!, -0.0003, accuracy: 0.0002)
        XCTAssertTrue(index.contains("Only in C, left out: 6."), index)
        // The per-case pairs behind the numbers.
        let pairs = try readCSV(out + "/data/compare-cases.csv").filter { $0["metric"] == "liver_dice" && $0["report"] == b }
        XCTAssertEqual(pairs.map { $0["case"]! }, ["1", "2", "3", "4", "5"])

        // Never "-0.000": C's differences round to zero and are shown as 0.000.
        XCTAssertFalse(index.contains("-0.000"), index)
        XCTAssertFalse(r.stdout.contains("-0.000"), r.stdout)
        XCTAssertTrue(index.contains("| liver Dice | 5 | 1.000 | 1.000 | 0.000 |"), index)

        // The runs' config.json: differing keys for B, no run for C.
        XCTAssertTrue(index.contains("| lr | `0.001` | `0.0005` |"), index)
        XCTAssertTrue(index.contains("| sampling.kind | `\"uniform\"` | `\"liverBiased\"` |"), index)
        XCTAssertTrue(index.contains("| sampling.pLiver | (absent) | `0.4` |"), index)
        XCTAssertFalse(index.contains("| epochs |"), index)
        XCTAssertTrue(index.contains("Not compared: no run found (\(work)/pred-c/predictions.json is missing"), index)

        // The chart, its script and data.
        for file in ["figures/paired_differences.png", "charts/paired_differences.gp", "charts/paired_differences.dat"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(out)/\(file)"), file)
        }
        XCTAssertTrue(index.contains("![Paired differences per case, mean and 95% interval](figures/paired_differences.png)"))

        // The same numbers again (seeded bootstrap), rerun into its own folder.
        let before = try String(contentsOfFile: out + "/data/compare.csv", encoding: .utf8)
        XCTAssertEqual(try runLits(["evaluate", "--compare", a, b, c, "--out", out]).status, 0)
        XCTAssertEqual(try String(contentsOfFile: out + "/data/compare.csv", encoding: .utf8), before)
    }

    /// A case `--missing skip` left unscored has no metric values: it is left out of every
    /// metric's pairs (n 4 of 5) and named with its status; `--missing zero` scores it as an empty
    /// prediction, so it counts (n 5) and is named too.
    func testUnscoredCasesAreLeftOutPairwise() throws {
        let work = try makeTempDir(self)
        let (a, _, _) = try makeReports(work)
        try FileManager.default.createDirectory(atPath: work + "/pred-d", withIntermediateDirectories: true)
        for id in [1, 2, 4, 5] {
            try FileManager.default.copyItem(atPath: "\(work)/pred-a/segmentation-\(id).nii.gz", toPath: "\(work)/pred-d/segmentation-\(id).nii.gz")
        }
        _ = try runLits(["evaluate", "--pred", work + "/pred-d", "--truth", work + "/truth", "--out", work + "/skip", "--missing", "skip"])
        _ = try runLits(["evaluate", "--pred", work + "/pred-d", "--truth", work + "/truth", "--out", work + "/zero"])
        let r = try runLits(["evaluate", "--compare", a, work + "/skip", work + "/zero", "--out", work + "/cmp"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let rows = try readCSV(work + "/cmp/data/compare.csv").filter { $0["metric"] == "liver_dice" }
        XCTAssertEqual(rows.map { $0["n"]! }, ["4", "5"])
        XCTAssertEqual(Double(rows[0]["mean_difference"]!), 0)
        XCTAssertEqual(Double(rows[1]["mean_difference"]!)!, -0.2, accuracy: 1e-9, "case 3 scored as empty: Dice 0 against 1")
        let index = try String(contentsOfFile: work + "/cmp/index.md", encoding: .utf8)
        XCTAssertTrue(index.contains("- Case 3 (B: missing"), index)
        XCTAssertTrue(index.contains("- Case 3 (C: missing"), index)
    }

    /// A disk that fills up while the comparison is written: one error line, and nothing of it
    /// left (the folder it created is removed).
    func testFullDiskLeavesNoPartialReport() throws {
        let work = try makeTempDir(self), disk = try makeSmallDisk(self, megabytes: 4)
        let (a, b, c) = try makeReports(work)
        try fillDisk(disk, leaveKilobytes: 40)
        let r = try runLits(["evaluate", "--compare", a, b, c, "--out", disk + "/cmp"])
        XCTAssertEqual(r.status, 1, r.stdout)
        XCTAssertEqual(errorLines(r).count, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("no space left on the device"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: disk + "/cmp"), (try? FileManager.default.subpathsOfDirectory(atPath: disk + "/cmp"))?.description ?? "")
    }

    /// One report is refused (two or more); a report that is not an evaluation is one error line
    /// naming it, and no output is left.
    func testRefusals() throws {
        let work = try makeTempDir(self), truth = work + "/truth"
        try writePhantomCase(dir: truth, id: 1)
        XCTAssertEqual(try runLits(["evaluate", "--pred", truth, "--truth", truth, "--out", work + "/a"]).status, 0)
        var r = try runLits(["evaluate", "--compare", work + "/a", "--out", work + "/cmp"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("--compare takes two or more report folders"), r.stderr)
        r = try runLits(["evaluate", "--compare", work + "/a", truth, work + "/a", "--out", work + "/cmp"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(errorLines(r), ["lits: error: \(truth): not an evaluation report (no data/evaluation.json)"], r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/cmp"))
    }
}
