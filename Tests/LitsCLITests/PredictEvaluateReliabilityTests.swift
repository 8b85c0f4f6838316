import Foundation
import XCTest
import LiTSCore

/// `lits predict` and `lits evaluate` under hostile conditions: reruns into the same folder,
/// a full disk, ambiguous or stray prediction files, corrupt reports, missing folders.
final class PredictEvaluateReliabilityTests: XCTestCase {
    func names(_ dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
    }

    func recordFiles(_ dir: String) throws -> [String] {
        let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/predictions.json"))
        return (try JSONDecoder().decode([String: [String]].self, from: data))["files"] ?? []
    }

    /// Item 1: a rerun with another checkpoint and fewer cases replaces the folder's predictions
    /// as a whole; evaluate scores what predictions.json lists and refuses a stray or missing file,
    /// and a folder whose predict run did not finish.
    func testRerunReplacesThePreviousPredictionsAndEvaluateFollowsTheRecord() throws {
        let data = try makeTempDir(self), work = try makeTempDir(self)
        let run = try trainTinyRun(data: data, work: work)
        let pred = work + "/pred"
        var r = try runLits(["predict", "--run", run, data, "--out", pred, "--checkpoint", "best", "--probabilities"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(names(pred), ["predictions.json", "probability-lesion-1.nii.gz", "probability-lesion-2.nii.gz",
                                     "probability-liver-1.nii.gz", "probability-liver-2.nii.gz",
                                     "segmentation-1.nii.gz", "segmentation-2.nii.gz"])
        // The rerun: the last checkpoint, case 1 only, LiTS names. Nothing of the first run stays.
        r = try runLits(["predict", "--run", run, data + "/volume-1.nii.gz", "--out", pred, "--checkpoint", "last", "--lits-names"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(names(pred), ["predictions.json", "test-segmentation-1.nii"])
        XCTAssertEqual(try recordFiles(pred), ["test-segmentation-1.nii"])
        // Case 2 has no prediction from this run: it fails, case 1 is scored from the new file.
        r = try runLits(["evaluate", "--pred", pred, "--truth", data, "--out", work + "/eval"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stdout.contains("case 1:"), r.stdout)
        XCTAssertTrue(errorLines(r).contains { $0.contains("no prediction for case 2 (predictions.json lists none)") }, r.stderr)

        // A file the record does not list (another run's, or a user's copy) is refused by name.
        try FileManager.default.copyItem(atPath: data + "/segmentation-2.nii.gz", toPath: pred + "/segmentation-2.nii.gz")
        r = try runLits(["evaluate", "--pred", pred, "--truth", data, "--out", work + "/eval2"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertEqual(errorLines(r).count, 1, r.stderr)
        XCTAssertTrue((errorLines(r).first ?? "").contains("\(pred)/segmentation-2.nii.gz: is not listed in predictions.json"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/eval2"), "a refused run leaves no output folder")
        try FileManager.default.removeItem(atPath: pred + "/segmentation-2.nii.gz")

        // A listed file that is missing: the record disagrees with the folder.
        try FileManager.default.moveItem(atPath: pred + "/test-segmentation-1.nii", toPath: work + "/moved.nii")
        r = try runLits(["evaluate", "--pred", pred, "--truth", data, "--out", work + "/eval3"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertEqual(errorLines(r), ["lits: error: \(pred)/test-segmentation-1.nii: is listed in predictions.json but missing; rerun `lits predict` into this folder"], r.stderr)
        try FileManager.default.moveItem(atPath: work + "/moved.nii", toPath: pred + "/test-segmentation-1.nii")

        // A predict folder without its record (the run did not finish) is not one run's predictions.
        try FileManager.default.removeItem(atPath: pred + "/predictions.json")
        r = try runLits(["evaluate", "--pred", pred, "--truth", data, "--out", work + "/eval4"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertEqual(errorLines(r).count, 1, r.stderr)
        XCTAssertTrue((errorLines(r).first ?? "").contains("has no predictions.json"), r.stderr)

        // A user's own folder of predictions (no marker, no record) is still scored by file names.
        let own = work + "/own"
        try FileManager.default.createDirectory(atPath: own, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: pred + "/test-segmentation-1.nii", toPath: own + "/segmentation-1.nii")
        r = try runLits(["evaluate", "--pred", own, "--truth", data + "/volume-1.nii.gz", "--out", work + "/eval5"])
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    /// Item 2: on a full disk every case fails and leaves no output file; predictions.json lists
    /// no file and every case as failed, and evaluate scores nothing.
    func testFailedCasesOnAFullDiskLeaveNoOutputs() throws {
        let data = try makeTempDir(self), work = try makeTempDir(self)
        let disk = try makeSmallDisk(self, megabytes: 4)
        let run = try trainTinyRun(data: data, work: work)
        let pred = disk + "/pred"
        // The folder, its marker and lock first; then room for a segmentation (about 1 KB
        // compressed) but not for the probability maps.
        try FileManager.default.createDirectory(atPath: pred, withIntermediateDirectories: true)
        try fillDisk(disk, leaveKilobytes: 24)
        var r = try runLits(["predict", "--run", run, data, "--out", pred, "--probabilities"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("2 of 2 cases failed"), r.stderr)
        XCTAssertEqual(names(pred), ["predictions.json"], "a failed case leaves no output file")
        XCTAssertEqual(try recordFiles(pred), [])
        r = try runLits(["evaluate", "--pred", pred, "--truth", data, "--out", work + "/eval"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(errorLines(r).contains { $0.contains("case 1 failed in the `lits predict` run") }, r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/eval"), "nothing evaluated: no report folder")
    }

    /// Item 3: several files that could each be case 1's prediction are refused, naming them.
    func testAmbiguousPredictionsAreRefused() throws {
        let truth = try makeTempDir(self), pred = try makeTempDir(self), work = try makeTempDir(self)
        try writePhantomCase(dir: truth, id: 1)
        try FileManager.default.copyItem(atPath: truth + "/segmentation-1.nii.gz", toPath: pred + "/segmentation-1.nii.gz")
        try writePhantomCase(dir: work + "/other", id: 1, labelOverride: { $0.voxels = $0.voxels.map { $0 == 2 ? 1 : $0 } }, ext: "nii")
        try FileManager.default.copyItem(atPath: work + "/other/segmentation-1.nii", toPath: pred + "/test-segmentation-1.nii")
        try FileManager.default.createDirectory(atPath: pred + "/sub", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: work + "/other/segmentation-1.nii", toPath: pred + "/sub/segmentation-1.nii")
        var r = try runLits(["evaluate", "--pred", pred, "--truth", truth, "--out", work + "/eval"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertEqual(errorLines(r), ["lits: error: \(pred): case 1 has 3 candidate predictions (segmentation-1.nii.gz, sub/segmentation-1.nii, test-segmentation-1.nii); keep one, or point --pred at the folder that holds the one to score"], r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/eval"))
        r = try runLits(["evaluate", "--pred", pred, "--truth", truth, "--out", work + "/eval", "--protocol", "lits"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertEqual(errorLines(r).count, 1, r.stderr)
        // With one file left the case is scored.
        try FileManager.default.removeItem(atPath: pred + "/sub")
        try FileManager.default.removeItem(atPath: pred + "/test-segmentation-1.nii")
        r = try runLits(["evaluate", "--pred", pred, "--truth", truth, "--out", work + "/eval"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("case 1: liver Dice 1.0000"), r.stdout)
    }

    /// Item 4: a corrupt regions.csv is refused by name and problem; a missing --pred or --truth
    /// folder is one line saying so. Item 5: none of these leaves an output folder.
    func testCorruptReportsAndMissingFoldersAreRefused() throws {
        let truth = try makeTempDir(self), work = try makeTempDir(self)
        try writePhantomCase(dir: truth, id: 1)
        XCTAssertEqual(try runLits(["evaluate", "--pred", truth, "--truth", truth, "--out", work + "/a"]).status, 0)
        XCTAssertEqual(try runLits(["evaluate", "--pred", truth, "--truth", truth, "--out", work + "/b"]).status, 0)
        var r = try runLits(["evaluate", "--compare", work + "/a", work + "/b", "--out", work + "/cmp"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let regions = work + "/b/data/regions.csv"
        let good = try String(contentsOfFile: regions, encoding: .utf8)
        let damaged: [(String, String)] = [
            ("garbage\nnot,a,table\n", "line 1 is not the header"),
            (good.replacingOccurrences(of: ",top,", with: ",upper,"), "unknown region 'upper'"),
            (String(good.split(separator: "\n")[0]) + "\n1,top,0.5,0,0\n", "line 2 has 5 fields, expected 8"),
            (String(good.split(separator: "\n")[0]) + "\n1,top,abc,0,0,-,0,0\n", "line 2: liver_dice 'abc' is not a Dice"),
            (String(good.split(separator: "\n")[0]) + "\n", "has no rows"),
        ]
        for (text, problem) in damaged {
            try text.write(toFile: regions, atomically: true, encoding: .utf8)
            r = try runLits(["evaluate", "--compare", work + "/a", work + "/b", "--out", work + "/cmp2"])
            XCTAssertEqual(r.status, 1, r.stdout)
            XCTAssertEqual(errorLines(r).count, 1, r.stderr)
            XCTAssertTrue(errorLines(r).first?.hasPrefix("lits: error: \(regions): ") ?? false, r.stderr)
            XCTAssertTrue(r.stderr.contains(problem), "\(problem): \(r.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/cmp2"))
        }

        r = try runLits(["evaluate", "--pred", "/nonexistent-litskit", "--truth", truth, "--out", work + "/c"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(errorLines(r), ["lits: error: /nonexistent-litskit: no such folder"], r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/c"))
        r = try runLits(["evaluate", "--pred", truth, "--truth", "/nonexistent-litskit", "--out", work + "/c"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(errorLines(r).count, 1, r.stderr)
        XCTAssertTrue((errorLines(r).first ?? "").hasPrefix("lits: error: /nonexistent-litskit: no such"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/c"))
    }

    /// Item 5: a run whose every case fails writes nothing and removes the folder it created; a
    /// folder that existed before is kept.
    func testFailedEvaluateRemovesOnlyTheFolderItCreated() throws {
        let truth = try makeTempDir(self), empty = try makeTempDir(self), work = try makeTempDir(self)
        try writePhantomCase(dir: truth, id: 1)
        var r = try runLits(["evaluate", "--pred", empty, "--truth", truth, "--out", work + "/new/report"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(errorLines(r).contains { $0.contains("no prediction for case 1") }, r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/new/report"))
        r = try runLits(["evaluate", "--pred", empty, "--truth", truth, "--out", work + "/lits", "--protocol", "lits"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/lits"))
        // An empty folder the user made stays (with our marker: it is ours to reuse now).
        try FileManager.default.createDirectory(atPath: work + "/mine", withIntermediateDirectories: true)
        r = try runLits(["evaluate", "--pred", empty, "--truth", truth, "--out", work + "/mine"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: work + "/mine"))
    }
}
