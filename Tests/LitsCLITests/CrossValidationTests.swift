import Foundation
import XCTest
import LiTSCore

/// `lits train --folds K`: nnU-Net's folds, every fold a run folder, out-of-fold predictions of
/// every case exactly once, the post-processing chosen on them and the cross-validation report;
/// a fold trained alone (a Slurm array task) and `--resume RUN` finishing what is missing; the
/// refusals (a fold beyond K, another K into the same folder).
final class CrossValidationTests: XCTestCase {
    // Six batches at a high rate: enough for the phantom's predictions to hold liver.
    static let small = ["--recipe", "baseline", "--size", "32", "--slice-spacing", "4", "--patch", "16,16,8", "--filters", "4,8",
                        "--volumes-per-batch", "1", "--patches-per-volume", "1", "--epochs", "1", "--batches-per-epoch", "6", "--lr", "0.02", "--loss", "dice", "--threads", "1",
                        "--allow-qa-errors"]  // the phantoms are child-sized for `lits qa`

    func json(_ path: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path)))
    }

    func testTwoFoldsEndToEndOutOfFoldOnceWithReport() throws {
        let work = try makeTempDir(self)
        let data = work + "/data", run = work + "/cv"
        for id in 1...4 { try writePhantomCase(dir: data, id: id, shape: [32, 32, 12]) }

        // One fold alone, as a Slurm array task: its part, and the report waits for the other.
        var r = try runLits(["train", data, "--out", run, "--folds", "2", "--fold", "1"] + Self.small)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("the report waits for fold 0"), r.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: run + "/crossval"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: run + "/fold-0"))
        // nnU-Net's folds for ids 1...4 (scikit-learn KFold(2, shuffle=True, random_state=12345)).
        let splits = try XCTUnwrap(try json(run + "/splits.json") as? [[String: [String]]])
        XCTAssertEqual(splits, [["train": ["2", "3"], "val": ["1", "4"]], ["train": ["1", "4"], "val": ["2", "3"]]])
        let plan = try XCTUnwrap(try json(run + "/crossvalidation.json") as? [String: Any])
        XCTAssertEqual(plan["folds"] as? Int, 2)
        XCTAssertEqual(plan["foldFolders"] as? [String], ["fold-0", "fold-1"])

        // Another K into the same folder: one line, nothing written.
        let before = folderContents(run).keys.sorted()
        r = try runLits(["train", data, "--out", run, "--folds", "3"] + Self.small)
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(errorLines(r), ["lits: error: \(run)/crossvalidation.json: is a 2-fold cross-validation, not 3-fold; give --folds 2, or another --out folder"])
        XCTAssertEqual(folderContents(run).keys.sorted(), before)
        // Other options for the same folds: refused, naming the config key that differs.
        r = try runLits(["train", data, "--out", run, "--folds", "2", "--fold", "0"] + Self.small + ["--seed", "5"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(errorLines(r).count, 1, r.stderr)
        XCTAssertTrue(errorLines(r).first?.contains("was started with other training options (") == true, r.stderr)
        XCTAssertTrue(errorLines(r).first?.contains("seed") == true, r.stderr)
        XCTAssertEqual(folderContents(run).keys.sorted(), before)

        // Every fold: fold 1 is done (not retrained), fold 0 trains, then the report.
        let fold1 = try Data(contentsOf: URL(fileURLWithPath: run + "/fold-1/last.safetensors"))
        r = try runLits(["train", data, "--out", run, "--folds", "2"] + Self.small)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: run + "/fold-1/last.safetensors")), fold1)
        XCTAssertTrue(r.stdout.contains("cross-validation: \(run)/crossval/index.md"), r.stdout)

        // Out of fold: each case predicted once, by the fold that validated on it, on its source grid.
        var predicted: [String] = []
        for (k, split) in splits.enumerated() {
            let fold = "\(run)/fold-\(k)"
            XCTAssertTrue(FileManager.default.fileExists(atPath: fold + "/config.json"))
            for folder in ["validation", "validation-largest-liver", "validation-lesions-in-liver", "validation-both"] {
                let record = try XCTUnwrap(try json("\(fold)/\(folder)/predictions.json") as? [String: [String]])
                XCTAssertEqual(record["cases"], split["val"], folder)
                for name in record["files"] ?? [] {
                    let (labels, _) = try NIfTIReader.readLabels(path: "\(fold)/\(folder)/\(name)")
                    XCTAssertEqual(labels.grid.shape, [32, 32, 12])
                }
                if folder == "validation" { predicted += record["cases"] ?? [] }
            }
        }
        XCTAssertEqual(predicted.sorted(), ["1", "2", "3", "4"])
        // Each variant is what `lits predict` with the fold's last checkpoint and those flags writes.
        for (folder, flags) in [("validation", ["--no-largest-liver", "--no-lesions-in-liver"]),
                                ("validation-both", ["--largest-liver", "--lesions-in-liver"])] {
            let out = "\(work)/predict-\(folder)"
            r = try runLits(["predict", "--run", run + "/fold-0", "--checkpoint", "last", data, "--out", out] + flags)
            XCTAssertEqual(r.status, 0, r.stderr)
            for id in splits[0]["val"] ?? [] {
                let ours = try NIfTIReader.readLabels(path: "\(run)/fold-0/\(folder)/segmentation-\(id).nii.gz").0
                let theirs = try NIfTIReader.readLabels(path: "\(out)/segmentation-\(id).nii.gz").0
                XCTAssertEqual(ours.voxels, theirs.voxels, "\(folder), case \(id)")
                XCTAssertGreaterThan(ours.voxels.filter { $0 != 0 }.count, 0, "a prediction with liver, so the comparison means something")
                XCTAssertEqual(ours.grid.affine, theirs.grid.affine)
            }
        }

        // The report: every case once, with its fold; the post-processing chosen and said.
        XCTAssertEqual(try csvRows(run + "/crossval/data/cases.csv").dropFirst().map { $0[0] }.sorted(), ["1", "2", "3", "4"])
        let folds = try csvRows(run + "/crossval/data/folds.csv").dropFirst()
        XCTAssertEqual(Set(folds.map { "\($0[0]):\($0[1])" }), ["0:1", "0:4", "1:2", "1:3"])
        let page = try String(contentsOfFile: run + "/crossval/index.md", encoding: .utf8)
        XCTAssertTrue(page.contains("## Cross-validation"))
        XCTAssertTrue(page.contains("largest liver component: "))
        let choice = try XCTUnwrap(try json(run + "/postprocessing.json") as? [String: Any])
        XCTAssertNotNil(choice["largestLiver"] as? Bool)
        XCTAssertNotNil(choice["lesionsInLiver"] as? Bool)
        XCTAssertEqual(choice["cases"] as? Int, 4)
        let applied = try XCTUnwrap(try json(run + "/crossval/predictions/predictions.json") as? [String: [String]])
        XCTAssertEqual(applied["cases"]?.sorted(), ["1", "2", "3", "4"])

        // --resume RUN finishes what is missing: a fold's predictions and the report.
        try FileManager.default.removeItem(atPath: run + "/fold-0/validation")
        try FileManager.default.removeItem(atPath: run + "/crossval")
        r = try runLits(["train", "--resume", run])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: run + "/fold-0/validation/predictions.json"))
        XCTAssertEqual(try csvRows(run + "/crossval/data/cases.csv").count, 5, "a header and the 4 cases")
    }

    func testFoldBeyondKIsRefusedBeforeAnythingIsWritten() throws {
        let work = try makeTempDir(self)
        let data = work + "/data"
        for id in 1...3 { try writePhantomCase(dir: data, id: id, shape: [32, 32, 12]) }
        var r = try runLits(["train", data, "--out", work + "/cv", "--folds", "3", "--fold", "3"] + Self.small)
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(errorLines(r), ["lits: error: --fold 3: the cross-validation has 3 folds, numbered 0 to 2"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/cv"))
        // The QA gate on the raw cases, before anything is written.
        r = try runLits(["train", data, "--out", work + "/cv", "--folds", "3"] + Self.small.dropLast())
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(errorLines(r).count, 1)
        XCTAssertTrue(errorLines(r).first?.contains("QA error in the training data, case 1") == true, r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/cv"))
        // Inside a Slurm array task the fold is the task's index: task 3 of a 0-3 array, 3 folds.
        r = try runLits(["train", data, "--out", work + "/cv", "--folds", "3"] + Self.small, environment: ["SLURM_ARRAY_TASK_ID": "3"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("lits: fold 3 (Slurm array task 3); --fold all trains every fold"), r.stderr)
        XCTAssertEqual(errorLines(r), ["lits: error: --fold 3: the cross-validation has 3 folds, numbered 0 to 2"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/cv"))
        // A splits file naming a case the data lack.
        let splits = work + "/splits_final.json"
        try Data(#"[{"train": ["1", "2"], "val": ["3"]}, {"train": ["3"], "val": ["1", "9"]}]"#.utf8).write(to: URL(fileURLWithPath: splits))
        r = try runLits(["train", data, "--out", work + "/cv", "--splits", splits] + Self.small)
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(errorLines(r), ["lits: error: \(splits): fold 1 names case 9, which the data does not hold"])
    }

    /// DATA may be a `lits preprocess` folder: the out-of-fold predictions go on the source
    /// files its manifest recorded, so a folder whose sources are gone is refused up front.
    func testPreprocessedDataNeedsItsSourceFiles() throws {
        let work = try makeTempDir(self)
        let data = work + "/data", pre = work + "/pre"
        for id in 1...2 { try writePhantomCase(dir: data, id: id, shape: [32, 32, 12]) }
        var r = try runLits(["preprocess", data, "--out", pre, "--size", "32", "--slice-spacing", "4"])
        XCTAssertEqual(r.status, 0, r.stderr)
        try FileManager.default.moveItem(atPath: data, toPath: work + "/moved")
        r = try runLits(["train", pre, "--out", work + "/cv", "--folds", "2"] + Self.small)
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(errorLines(r).count, 1, r.stderr)
        XCTAssertTrue(errorLines(r).first?.hasPrefix("lits: error: \(data)/volume-") == true, r.stderr)
        XCTAssertTrue(errorLines(r).first?.contains("out-of-fold predictions are made and scored on the source grid") == true, r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/cv"))
    }

    /// Two Slurm array tasks started together into one folder: the first writes the plan and
    /// preprocesses while the other waits for the lock; both folds train; the report holds all.
    func testConcurrentFoldTasksShareOneFolder() throws {
        let work = try makeTempDir(self)
        let data = work + "/data", run = work + "/cv"
        for id in 1...4 { try writePhantomCase(dir: data, id: id, shape: [32, 32, 12]) }
        nonisolated(unsafe) var results = [CLIResult?](repeating: nil, count: 2)  // each task writes its own slot, under the lock
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: 2) { k in
            let r = try? runLits(["train", data, "--out", run, "--folds", "2"] + Self.small, environment: ["SLURM_ARRAY_TASK_ID": String(k)])
            lock.lock(); results[k] = r; lock.unlock()
        }
        for r in results {
            XCTAssertEqual(r?.status, 0, r?.stderr ?? "did not run")
            XCTAssertEqual(r.map(errorLines) ?? [], [])
        }
        // The task that finishes second writes the report (both may, when they finish together);
        // one that finished first says what it waits for.
        let reported = results.compactMap { $0 }.filter { $0.stdout.contains("cross-validation: \(run)/crossval/index.md") }
        XCTAssertGreaterThanOrEqual(reported.count, 1, "\(results.map { $0?.stdout ?? "" })")
        for r in results.compactMap({ $0 }) where !reported.contains(where: { $0.stdout == r.stdout }) {
            XCTAssertTrue(r.stdout.contains("the report waits for fold"), r.stdout)
        }
        XCTAssertEqual(try csvRows(run + "/crossval/data/cases.csv").dropFirst().map { $0[0] }.sorted(), ["1", "2", "3", "4"])
        let manifest = try XCTUnwrap(try json(run + "/preprocessed/manifest.json") as? [String: Any])
        XCTAssertEqual((manifest["cases"] as? [Any])?.count, 4, "preprocessed once, by one task")
    }
}
