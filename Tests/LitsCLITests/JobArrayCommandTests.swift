import Foundation
import XCTest
import LiTSCore

/// `preprocess`, `eda`, `predict` and `evaluate` as a job array: two shards (from a Slurm array
/// task's environment, or `--shard i/n`), then `merge`, give the folder one run gives, file for
/// file.
final class JobArrayCommandTests: XCTestCase {
    /// The environment Slurm gives task `task` of `sbatch --array=0-(count-1)`.
    func arrayTask(_ task: Int, of count: Int) -> [String: String] {
        ["SLURM_ARRAY_TASK_ID": String(task), "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": String(count - 1),
         "SLURM_ARRAY_TASK_STEP": "1", "SLURM_ARRAY_TASK_COUNT": String(count), "SLURM_ARRAY_JOB_ID": "77"]
    }

    func assertOK(_ r: CLIResult, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.status, 0, r.stderr + r.stdout, file: file, line: line)
    }

    func ids(_ json: Any?) -> [String] { ((json as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String } }

    func json(_ path: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path)))
    }

    func testTwoShardsMergeToWhatOneRunGives() throws {
        let data = try makeTempDir(self), work = try makeTempDir(self)
        for id in 1...3 { try writePhantomCase(dir: data, id: id, shape: [32, 32, 16]) }
        let fm = FileManager.default

        // preprocess: the shards come from the Slurm array variables.
        let pre = ["--size", "32", "--slice-spacing", "4"]
        assertOK(try runLits(["preprocess", data, "--out", work + "/pre"] + pre))
        for task in 0...1 {
            let r = try runLits(["preprocess", data, "--out", "\(work)/pre-parts/\(task)"] + pre, environment: arrayTask(task, of: 2))
            assertOK(r)
            XCTAssertTrue(r.stderr.contains("lits: shard \(task + 1)/2 (Slurm array task \(task))"), r.stderr)
            XCTAssertTrue(r.stdout.contains("shard \(task + 1)/2: preprocessed \(task == 0 ? 2 : 1) of \(task == 0 ? 2 : 1) cases"), r.stdout)
        }
        XCTAssertEqual(ids((try json(work + "/pre-parts/0/manifest.json") as? [String: Any])?["cases"]), ["1", "3"])
        XCTAssertEqual(try fm.contentsOfDirectory(atPath: work + "/pre-parts/1").filter { $0.hasSuffix(".npy") }.sorted(), ["mask2.npy", "vol2.npy"])
        let pm = try runLits(["preprocess", "merge", work + "/pre-parts/1", work + "/pre-parts/0", "--out", work + "/pre-merged"])
        assertOK(pm)
        XCTAssertTrue(pm.stdout.contains("preprocessed 3 case(s) from 2 part(s)"), pm.stdout)
        assertSameFolders(work + "/pre", work + "/pre-merged", "preprocess")

        // eda: an array task is the same as --shard i/n.
        assertOK(try runLits(["eda", data, "--out", work + "/eda", "--title", "T"]))
        for task in 0...1 { assertOK(try runLits(["eda", data, "--out", "\(work)/eda-parts/\(task)"], environment: arrayTask(task, of: 2))) }
        assertOK(try runLits(["eda", data, "--out", work + "/eda-flag", "--shard", "1/2"]))
        assertSameFolders(work + "/eda-parts/0", work + "/eda-flag", "eda shard from Slurm and from --shard")
        assertOK(try runLits(["eda", "merge", work + "/eda-parts/0", work + "/eda-parts/1", "--out", work + "/eda-merged", "--title", "T"]))
        assertSameFolders(work + "/eda", work + "/eda-merged", "eda")

        // predict: shards by --shard.
        let train = try runLits(["train", work + "/pre", "--out", work + "/run", "--patch", "16,16,8", "--filters", "4,8",
                                 "--volumes-per-batch", "1", "--patches-per-volume", "2", "--epochs", "1", "--batches-per-epoch", "2"])
        assertOK(train)
        assertOK(try runLits(["predict", "--run", work + "/run", data, "--out", work + "/pred"]))
        for i in 1...2 {
            let r = try runLits(["predict", "--run", work + "/run", data, "--out", "\(work)/pred-parts/\(i)", "--shard", "\(i)/2"])
            assertOK(r)
            XCTAssertFalse(r.stderr.contains("Slurm"), r.stderr)
        }
        XCTAssertEqual(try fm.contentsOfDirectory(atPath: work + "/pred-parts/1").filter { $0.hasSuffix(".nii.gz") }.sorted(),
                       ["segmentation-1.nii.gz", "segmentation-3.nii.gz"])
        let prm = try runLits(["predict", "merge", work + "/pred-parts/1", work + "/pred-parts/2", "--out", work + "/pred-merged"])
        assertOK(prm)
        XCTAssertTrue(prm.stdout.contains("gathered 3 prediction(s) from 2 part(s)"), prm.stdout)
        assertSameFolders(work + "/pred", work + "/pred-merged", "predict")
        let record = try json(work + "/pred-merged/predictions.json") as? [String: [String]]
        XCTAssertEqual(record?["files"], ["segmentation-1.nii.gz", "segmentation-2.nii.gz", "segmentation-3.nii.gz"])

        // evaluate: shards by --shard, and one from the Slurm variables.
        let single = try runLits(["evaluate", "--pred", work + "/pred", "--truth", data, "--out", work + "/ev", "--title", "T"])
        assertOK(single)
        assertOK(try runLits(["evaluate", "--pred", work + "/pred", "--truth", data, "--out", work + "/ev-parts/1", "--shard", "1/2"]))
        assertOK(try runLits(["evaluate", "--pred", work + "/pred", "--truth", data, "--out", work + "/ev-parts/2"], environment: arrayTask(1, of: 2)))
        XCTAssertFalse(fm.fileExists(atPath: work + "/ev-parts/1/index.md"), "a shard writes no page")
        XCTAssertEqual(ids(try json(work + "/ev-parts/1/data/evaluation.json")), ["1", "3"])
        let em = try runLits(["evaluate", "merge", work + "/ev-parts/1", work + "/ev-parts/2", "--out", work + "/ev-merged", "--title", "T"])
        assertOK(em)
        XCTAssertTrue(em.stdout.contains("report: \(work)/ev-merged/index.md (3 case(s) from 2 part(s))"), em.stdout)
        XCTAssertEqual(em.stdout.components(separatedBy: "\n").filter { $0.hasPrefix("case ") },
                       single.stdout.components(separatedBy: "\n").filter { $0.hasPrefix("case ") }, "the same Dice per case")
        assertSameFolders(work + "/ev", work + "/ev-merged", "evaluate")
        XCTAssertEqual(ids(try json(work + "/ev-merged/data/evaluation.json")), ["1", "2", "3"])
    }

    func testMergesRefuseIncompleteOrMismatchedParts() throws {
        let data = try makeTempDir(self), work = try makeTempDir(self)
        for id in 1...3 { try writePhantomCase(dir: data, id: id, shape: [32, 32, 16]) }
        let fm = FileManager.default
        let pre = ["--size", "32", "--slice-spacing", "4"]
        for i in 1...3 { assertOK(try runLits(["preprocess", data, "--out", "\(work)/p\(i)", "--shard", "\(i)/3"] + pre)) }

        // A missing shard: an error naming it, and no output folder.
        var r = try runLits(["preprocess", "merge", work + "/p1", work + "/p3", "--out", work + "/merged"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(errorLines(r), ["lits: error: \(work)/p1: shard(s) 2/3 missing: their cases would be left out (give every part, or --partial)"])
        XCTAssertFalse(fm.fileExists(atPath: work + "/merged"), "no output on failure")
        // --partial merges what is there and says what is missing.
        r = try runLits(["preprocess", "merge", work + "/p1", work + "/p3", "--out", work + "/partial", "--partial"])
        assertOK(r)
        XCTAssertTrue(r.stderr.contains("lits: warning: shard(s) 2/3 missing; their cases are left out"), r.stderr)
        XCTAssertEqual(ids((try json(work + "/partial/manifest.json") as? [String: Any])?["cases"]), ["1", "3"])

        // The same shard twice, other options, another command's shard, a folder that is no shard.
        r = try runLits(["preprocess", "merge", work + "/p1", work + "/p1", work + "/p2", work + "/p3", "--out", work + "/twice"])
        XCTAssertEqual(errorLines(r), ["lits: error: \(work)/p1: shard 1/3 is also given as \(work)/p1"])
        assertOK(try runLits(["preprocess", data, "--out", work + "/other2", "--shard", "2/3", "--size", "24", "--slice-spacing", "4"]))
        r = try runLits(["preprocess", "merge", work + "/p1", work + "/other2", work + "/p3", "--out", work + "/mixed"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(errorLines(r).first?.contains("\(work)/other2: was computed with other settings than \(work)/p1") ?? false, r.stderr)
        assertOK(try runLits(["eda", data, "--out", work + "/eda1", "--shard", "1/3"]))
        r = try runLits(["evaluate", "merge", work + "/p1", "--out", work + "/ev"])
        XCTAssertEqual(errorLines(r), ["lits: error: \(work)/p1: is a shard of `lits preprocess`, not of `lits evaluate`"])
        r = try runLits(["predict", "merge", work + "/eda1", "--out", work + "/pred"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(errorLines(r).count, 1, r.stderr)
        XCTAssertTrue(errorLines(r).first?.hasPrefix("lits: error: \(work)/eda1: is not a shard of `lits predict` (its shard.json: ") ?? false, r.stderr)
        for out in ["mixed", "twice", "ev", "pred"] { XCTAssertFalse(fm.fileExists(atPath: "\(work)/\(out)"), out) }

        // A shard folder is not a whole output, and the user's own files are never written over.
        r = try runLits(["preprocess", data, "--out", work + "/p1"] + pre)
        XCTAssertTrue(errorLines(r).first?.contains("holds the output of `lits preprocess --shard`") ?? false, r.stderr)
        try fm.createDirectory(atPath: work + "/mine", withIntermediateDirectories: true)
        try Data("notes".utf8).write(to: URL(fileURLWithPath: work + "/mine/notes.txt"))
        r = try runLits(["preprocess", "merge", work + "/p1", work + "/p2", work + "/p3", "--out", work + "/mine"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(try fm.contentsOfDirectory(atPath: work + "/mine"), ["notes.txt"])

        // Slurm variables that do not describe an evenly stepped array: one line naming the variable.
        var env = arrayTask(1, of: 3)
        env["SLURM_ARRAY_TASK_COUNT"] = "2"
        r = try runLits(["preprocess", data, "--out", work + "/bad-env"] + pre, environment: env)
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(errorLines(r).count, 1, r.stderr)
        XCTAssertTrue(errorLines(r).first?.contains("SLURM_ARRAY_TASK_COUNT=2 does not match the array 0-2:1") ?? false, r.stderr)
        XCTAssertFalse(fm.fileExists(atPath: work + "/bad-env"))
        // --shard none: every case, even inside the array.
        r = try runLits(["preprocess", data, "--out", work + "/whole", "--shard", "none"] + pre, environment: env)
        assertOK(r)
        XCTAssertTrue(r.stdout.contains("preprocessed 3 of 3 cases"), r.stdout)
        XCTAssertFalse(fm.fileExists(atPath: work + "/whole/shard.json"))
    }

    /// A case that fails in its task (here: no prediction for case 2) is listed as failed in the
    /// merged report, as one run lists it; the merge itself succeeds.
    func testFailedCasesAreListedAsOneRunListsThem() throws {
        let data = try makeTempDir(self), work = try makeTempDir(self)
        for id in 1...4 { try writePhantomCase(dir: data, id: id, shape: [32, 32, 16]) }
        let pred = work + "/pred"
        try FileManager.default.createDirectory(atPath: pred, withIntermediateDirectories: true)
        for id in [1, 3, 4] { try FileManager.default.copyItem(atPath: "\(data)/segmentation-\(id).nii.gz", toPath: "\(pred)/segmentation-\(id).nii.gz") }
        let single = try runLits(["evaluate", "--pred", pred, "--truth", data, "--out", work + "/ev"])
        XCTAssertEqual(single.status, 1, "a case failed")
        for task in 0...1 {
            let r = try runLits(["evaluate", "--pred", pred, "--truth", data, "--out", "\(work)/parts/\(task)"], environment: arrayTask(task, of: 2))
            XCTAssertEqual(r.status, task == 1 ? 1 : 0, r.stderr)
        }
        XCTAssertEqual(ids(try json(work + "/parts/1/data/evaluation.json")), ["2", "4"], "shard 2/2 holds cases 2 and 4; 2 is a row without its prediction")
        let m = try runLits(["evaluate", "merge", work + "/parts/0", work + "/parts/1", "--out", work + "/merged"])
        assertOK(m)
        XCTAssertEqual(m.stderr, "", "case 2 is a row of its shard (missing), not a failure of it")
        assertSameFolders(work + "/ev", work + "/merged", "evaluate with a failed case")
        XCTAssertTrue(try String(contentsOfFile: work + "/merged/index.md", encoding: .utf8).contains("no prediction for case 2"))
    }

    /// Under mpirun a shard's cases are split over the ranks, and the shard folder is the one a
    /// single process writes.
    func testRanksSplitTheirShard() throws {
        let data = try makeTempDir(self), work = try makeTempDir(self)
        for id in 1...4 { try writePhantomCase(dir: data, id: id, shape: [32, 32, 16]) }
        let pre = ["--size", "32", "--slice-spacing", "4", "--shard", "1/2"]
        assertOK(try runLits(["preprocess", data, "--out", work + "/one"] + pre))
        let r = try runLitsMPI(ranks: 2, ["preprocess", data, "--out", work + "/two"] + pre)
        assertOK(r)
        XCTAssertTrue(r.stderr.contains("preprocess 1/1"), r.stderr)
        XCTAssertFalse(r.stderr.contains("preprocess 2/2"), "each rank did one of the shard's two cases: \(r.stderr)")
        assertSameFolders(work + "/one", work + "/two", "a shard under mpirun")
        XCTAssertEqual(ids((try json(work + "/two/manifest.json") as? [String: Any])?["cases"]), ["1", "3"])
    }
}
