import Foundation
import XCTest
import LiTSCore

/// What a shard was computed from and what it wrote: `merge` refuses parts of two datasets or
/// two prediction folders, records of an older LiTSKit, and parts that lost a file their
/// `shard.json` lists; a shard folder takes no other shard.
final class ShardProvenanceTests: XCTestCase {
    let pre = ["--size", "32", "--slice-spacing", "4"]

    func assertOK(_ r: CLIResult, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.status, 0, r.stderr + r.stdout, file: file, line: line)
    }

    /// A failed run: exit 1 and one error line, which contains every piece of `parts`.
    func assertRefused(_ r: CLIResult, _ parts: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.status, 1, r.stderr + r.stdout, file: file, line: line)
        let lines = errorLines(r)
        XCTAssertEqual(lines.count, 1, r.stderr, file: file, line: line)
        for p in parts { XCTAssertTrue(lines.first?.contains(p) ?? false, "'\(p)' not in: \(r.stderr)", file: file, line: line) }
    }

    /// Two datasets of the same case ids and count: `a` and, written after it, `b`, whose case 2
    /// is another scan (shards of each alone pass every check a merge made before).
    func twoDatasets(_ work: String) throws -> (a: String, b: String) {
        let a = work + "/data-a", b = work + "/data-b"
        for id in 1...3 { try writePhantomCase(dir: a, id: id, shape: [32, 32, 16]) }
        for id in 1...3 { try writePhantomCase(dir: b, id: id, shape: id == 2 ? [32, 32, 20] : [32, 32, 16]) }
        return (a, b)
    }

    /// Rewrites a `shard.json` without `keys` (a record of an older LiTSKit).
    func dropKeys(_ keys: [String], from file: String) throws {
        var record = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as! [String: Any]
        for k in keys { record.removeValue(forKey: k) }
        try JSONSerialization.data(withJSONObject: record).write(to: URL(fileURLWithPath: file))
    }

    func testMergesRefuseShardsOfAnotherDataset() throws {
        let work = try makeTempDir(self)
        let (a, b) = try twoDatasets(work)
        let fm = FileManager.default

        assertOK(try runLits(["eda", a, "--out", work + "/eda1", "--shard", "1/2"]))
        assertOK(try runLits(["eda", b, "--out", work + "/eda2", "--shard", "2/2"]))
        var r = try runLits(["eda", "merge", work + "/eda1", work + "/eda2", "--out", work + "/eda-merged"])
        assertRefused(r, ["lits: error: \(work)/eda2: was computed from another dataset than \(work)/eda1", b, a])
        XCTAssertFalse(fm.fileExists(atPath: work + "/eda-merged"), "a refused merge writes nothing")

        assertOK(try runLits(["preprocess", a, "--out", work + "/pre1", "--shard", "1/2"] + pre))
        assertOK(try runLits(["preprocess", b, "--out", work + "/pre2", "--shard", "2/2"] + pre))
        r = try runLits(["preprocess", "merge", work + "/pre1", work + "/pre2", "--out", work + "/pre-merged"])
        assertRefused(r, ["lits: error: \(work)/pre2: was computed from another dataset than \(work)/pre1", b, a])
        XCTAssertFalse(fm.fileExists(atPath: work + "/pre-merged"))

        // evaluate: the truth of another dataset.
        r = try runLits(["evaluate", "--pred", a, "--truth", a, "--out", work + "/ev1", "--shard", "1/2"])
        assertOK(r)
        assertOK(try runLits(["evaluate", "--pred", b, "--truth", b, "--out", work + "/ev2", "--shard", "2/2"]))
        r = try runLits(["evaluate", "merge", work + "/ev1", work + "/ev2", "--out", work + "/ev-merged"])
        assertRefused(r, ["lits: error: \(work)/ev2: was computed from another dataset than \(work)/ev1"])
        XCTAssertFalse(fm.fileExists(atPath: work + "/ev-merged"))

        // The shards of one dataset still merge.
        assertOK(try runLits(["eda", a, "--out", work + "/eda2a", "--shard", "2/2"]))
        assertOK(try runLits(["eda", "merge", work + "/eda1", work + "/eda2a", "--out", work + "/eda-ok"]))
    }

    func testEvaluateMergeRefusesShardsOfAnotherPredictionFolder() throws {
        let work = try makeTempDir(self), data = work + "/data"
        for id in 1...3 { try writePhantomCase(dir: data, id: id, shape: [32, 32, 16]) }
        let fm = FileManager.default
        // Two prediction folders: the truth itself, and one whose case 2 is empty.
        for (folder, emptyCase) in [("p1", 0), ("p2", 2)] {
            try fm.createDirectory(atPath: "\(work)/\(folder)", withIntermediateDirectories: true)
            for id in 1...3 {
                if id == emptyCase {
                    try writePhantomCase(dir: work + "/scratch", id: id, shape: [32, 32, 16], labelOverride: { $0 = LabelMap(grid: $0.grid, repeating: 0) })
                    try fm.copyItem(atPath: "\(work)/scratch/segmentation-\(id).nii.gz", toPath: "\(work)/\(folder)/segmentation-\(id).nii.gz")
                } else {
                    try fm.copyItem(atPath: "\(data)/segmentation-\(id).nii.gz", toPath: "\(work)/\(folder)/segmentation-\(id).nii.gz")
                }
            }
        }
        assertOK(try runLits(["evaluate", "--pred", work + "/p1", "--truth", data, "--out", work + "/ev1", "--shard", "1/2"]))
        assertOK(try runLits(["evaluate", "--pred", work + "/p2", "--truth", data, "--out", work + "/ev2", "--shard", "2/2"]))
        let r = try runLits(["evaluate", "merge", work + "/ev1", work + "/ev2", "--out", work + "/merged"])
        assertRefused(r, ["lits: error: \(work)/ev2: was computed from other predictions than \(work)/ev1", "--pred \(work)/p2", "vs \(work)/p1"])
        XCTAssertFalse(fm.fileExists(atPath: work + "/merged"))

        // A copy of the same predictions (times kept, as `cp -a` to a node's scratch keeps them)
        // is the same input: its shard merges with the original's.
        let cp = Process()
        cp.executableURL = URL(fileURLWithPath: "/bin/cp")
        cp.arguments = ["-a", work + "/p1", work + "/p1-copy"]
        XCTAssertEqual(try runCapturing(cp).status, 0)
        assertOK(try runLits(["evaluate", "--pred", work + "/p1-copy", "--truth", data, "--out", work + "/ev2-copy", "--shard", "2/2"]))
        assertOK(try runLits(["evaluate", "merge", work + "/ev1", work + "/ev2-copy", "--out", work + "/merged-copy"]))
    }

    /// Predict shards of two datasets, and of two checkpoints of one run (one retrained between
    /// the tasks): refused, naming what differs.
    func testPredictMergeRefusesAnotherDatasetOrCheckpoint() throws {
        let work = try makeTempDir(self)
        let (a, b) = try twoDatasets(work)
        assertOK(try runLits(["preprocess", a, "--out", work + "/pre"] + pre))
        let train = ["--patch", "16,16,8", "--filters", "4,8", "--volumes-per-batch", "1", "--patches-per-volume", "2",
                     "--epochs", "1", "--batches-per-epoch", "2"]
        assertOK(try runLits(["train", work + "/pre", "--out", work + "/run"] + train))
        assertOK(try runLits(["predict", "--run", work + "/run", a, "--out", work + "/pa1", "--shard", "1/2"]))
        assertOK(try runLits(["predict", "--run", work + "/run", b, "--out", work + "/pb2", "--shard", "2/2"]))
        let r = try runLits(["predict", "merge", work + "/pa1", work + "/pb2", "--out", work + "/merged"])
        assertRefused(r, ["lits: error: \(work)/pb2: was computed from another dataset than \(work)/pa1"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/merged"))

        // Another run: the settings that differ are named.
        assertOK(try runLits(["train", work + "/pre", "--out", work + "/run2"] + train))
        assertOK(try runLits(["predict", "--run", work + "/run2", a, "--out", work + "/pa2", "--shard", "2/2"]))
        let r2 = try runLits(["predict", "merge", work + "/pa1", work + "/pa2", "--out", work + "/merged"])
        assertRefused(r2, ["lits: error: \(work)/pa2: was computed with other settings than \(work)/pa1", "run"])
    }

    /// A `shard.json` of an older LiTSKit (no source, no file list) cannot be checked: refused,
    /// saying to rerun the shards.
    func testMergesRefuseRecordsWithoutProvenance() throws {
        let work = try makeTempDir(self), data = work + "/data"
        for id in 1...3 { try writePhantomCase(dir: data, id: id, shape: [32, 32, 16]) }
        for i in 1...2 {
            assertOK(try runLits(["preprocess", data, "--out", "\(work)/pre\(i)", "--shard", "\(i)/2"] + pre))
            assertOK(try runLits(["eda", data, "--out", "\(work)/eda\(i)", "--shard", "\(i)/2"]))
        }
        try dropKeys(["source", "files"], from: work + "/pre2/shard.json")
        try dropKeys(["source", "files"], from: work + "/eda2/shard.json")
        var r = try runLits(["preprocess", "merge", work + "/pre1", work + "/pre2", "--out", work + "/pm"])
        assertRefused(r, ["lits: error: \(work)/pre2/shard.json: records no dataset fingerprint", "rerun the shards"])
        r = try runLits(["eda", "merge", work + "/eda1", work + "/eda2", "--out", work + "/em"])
        assertRefused(r, ["lits: error: \(work)/eda2/shard.json: records no dataset fingerprint", "rerun the shards"])
        for out in ["pm", "em"] { XCTAssertFalse(FileManager.default.fileExists(atPath: "\(work)/\(out)"), out) }
    }

    /// `--shard 2/2` into the folder of shard 1/2 is refused before anything there is touched; a
    /// rerun of shard 1/2 into it goes on as before.
    func testAShardFolderTakesNoOtherShard() throws {
        let work = try makeTempDir(self), data = work + "/data"
        for id in 1...3 { try writePhantomCase(dir: data, id: id, shape: [32, 32, 16]) }
        let runs: [(String, [String])] = [
            ("eda", ["eda", data]),
            ("pre", ["preprocess", data] + pre),
            ("ev", ["evaluate", "--pred", data, "--truth", data]),
        ]
        for (name, args) in runs {
            let out = "\(work)/\(name)"
            assertOK(try runLits(args + ["--out", out, "--shard", "1/2"]))
            let before = folderContents(out)
            let r = try runLits(args + ["--out", out, "--shard", "2/2"])
            assertRefused(r, ["lits: error: \(out): holds shard 1/2 (its shard.json); choose another folder for shard 2/2"])
            XCTAssertEqual(folderContents(out), before, "\(name): shard 1/2's folder is left as it was")
            // Slurm's task 1 of 2 (shard 2/2) the same.
            let env = ["SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "1",
                       "SLURM_ARRAY_TASK_STEP": "1", "SLURM_ARRAY_TASK_COUNT": "2"]
            assertRefused(try runLits(args + ["--out", out], environment: env), ["holds shard 1/2"])
            let again = try runLits(args + ["--out", out, "--shard", "1/2"])
            assertOK(again)
        }
    }

    /// An EDA shard that lost its case's QA facts or montage is refused by merge, naming the
    /// file (the QA rows and the montage link would otherwise vanish or dangle); with --partial
    /// the whole case is left out, with a warning.
    func testEdaMergeRefusesAShardThatLostAListedFile() throws {
        let work = try makeTempDir(self), data = work + "/data"
        for id in 1...3 { try writePhantomCase(dir: data, id: id, shape: [32, 32, 16]) }
        // Case 3 is a copy of case 1 (QA: duplicate), so its QA facts hold a finding.
        try FileManager.default.removeItem(atPath: data + "/volume-3.nii.gz")
        try FileManager.default.copyItem(atPath: data + "/volume-1.nii.gz", toPath: data + "/volume-3.nii.gz")
        let fm = FileManager.default
        for lost in ["data/qa/3.json", "figures/case-3.png", "figures/qa-3.png"] {
            let parts = "\(work)/\(lost.replacingOccurrences(of: "/", with: "_"))"
            for i in 1...2 { assertOK(try runLits(["eda", data, "--out", "\(parts)/\(i)", "--shard", "\(i)/2"])) }
            XCTAssertTrue(fm.fileExists(atPath: "\(parts)/1/\(lost)"), lost)
            try fm.removeItem(atPath: "\(parts)/1/\(lost)")
            let r = try runLits(["eda", "merge", parts + "/1", parts + "/2", "--out", parts + "/merged"])
            assertRefused(r, ["lits: error: \(parts)/1/\(lost): listed in its shard.json but missing"])
            XCTAssertFalse(fm.fileExists(atPath: parts + "/merged"), "a refused merge writes nothing")
            let p = try runLits(["eda", "merge", parts + "/1", parts + "/2", "--out", parts + "/partial", "--partial"])
            assertOK(p)
            XCTAssertTrue(p.stderr.contains("lits: warning: 1 file(s) listed by their shard are missing; their cases are left out: \(parts)/1/\(lost)"), p.stderr)
            XCTAssertTrue(p.stdout.contains("(2 case(s) from 2 part(s))"), p.stdout)
            for f in ["data/cases/3.json", "data/qa/3.json", "figures/case-3.png", "figures/qa-3.png"] {
                XCTAssertFalse(fm.fileExists(atPath: "\(parts)/partial/\(f)"), "case 3 is left out whole: \(f)")
            }
        }
    }

    /// The other merges: every file a shard lists must be there (an evaluation montage, a
    /// prediction's record, a preprocessed array), or the merge fails naming it.
    func testMergesRefuseAShardThatLostAListedFile() throws {
        let work = try makeTempDir(self), data = work + "/data"
        for id in 1...3 { try writePhantomCase(dir: data, id: id, shape: [32, 32, 16]) }
        let fm = FileManager.default
        for i in 1...2 {
            assertOK(try runLits(["evaluate", "--pred", data, "--truth", data, "--out", "\(work)/ev\(i)", "--shard", "\(i)/2"]))
            assertOK(try runLits(["preprocess", data, "--out", "\(work)/pre\(i)", "--shard", "\(i)/2"] + pre))
        }
        let montage = "figures/worst-slices-3.png"
        XCTAssertTrue(fm.fileExists(atPath: "\(work)/ev1/\(montage)"))
        try fm.removeItem(atPath: "\(work)/ev1/\(montage)")
        var r = try runLits(["evaluate", "merge", work + "/ev1", work + "/ev2", "--out", work + "/em"])
        assertRefused(r, ["lits: error: \(work)/ev1/\(montage): listed in its shard.json but missing; rerun that shard"])
        XCTAssertFalse(fm.fileExists(atPath: work + "/em"))

        try fm.removeItem(atPath: "\(work)/pre2/vol2.npy")
        r = try runLits(["preprocess", "merge", work + "/pre1", work + "/pre2", "--out", work + "/pm"])
        assertRefused(r, ["lits: error: \(work)/pre2/vol2.npy: listed in its shard.json but missing; rerun that shard"])
        XCTAssertFalse(fm.fileExists(atPath: work + "/pm"))
    }
}
