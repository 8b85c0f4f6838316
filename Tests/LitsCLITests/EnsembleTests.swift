import Foundation
import XCTest
import LiTSCore
import LiTSNet

/// `lits predict --run A --run B`: the runs' probabilities averaged on the source grid (each run
/// with its own preprocessing), incompatible runs refused before any case, and a
/// cross-validation folder predicting with all its folds.
final class EnsembleTests: XCTestCase {
    /// A tiny run (seconds) on the preprocessed folder `pre`, with its own seed.
    func trainRun(_ pre: String, out: String, seed: Int, extra: [String] = []) throws -> String {
        let r = try runLits(["train", pre, "--out", out, "--recipe", "baseline", "--patch", "16,16,8", "--filters", "4,8",
                             "--volumes-per-batch", "1", "--patches-per-volume", "1", "--epochs", "2",
                             "--batches-per-epoch", "2", "--seed", String(seed)] + extra)
        XCTAssertEqual(r.status, 0, r.stderr)
        return out
    }

    /// Phantom cases 1 and 2, preprocessed two ways (different grids, one cropped to the body),
    /// and one run on each.
    func twoRuns(_ work: String) throws -> (data: String, a: String, b: String) {
        let data = work + "/data"
        try writePhantomCase(dir: data, id: 1, shape: [32, 32, 12])
        try writePhantomCase(dir: data, id: 2, shape: [32, 32, 12])
        var r = try runLits(["preprocess", data, "--out", work + "/preA", "--size", "32", "--slice-spacing", "4"])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try runLits(["preprocess", data, "--out", work + "/preB", "--spacing", "1.5,1.5,3", "--crop-body"])
        XCTAssertEqual(r.status, 0, r.stderr)
        return (data, try trainRun(work + "/preA", out: work + "/A", seed: 1), try trainRun(work + "/preB", out: work + "/B", seed: 2))
    }

    func probabilities(_ folder: String, _ kind: String, _ id: Int) throws -> Volume<Float> {
        try NIfTIReader.readFloat(path: "\(folder)/probability-\(kind)-\(id).nii.gz").0
    }

    func record(_ folder: String) throws -> [String: [String]] {
        try JSONDecoder().decode([String: [String]].self, from: Data(contentsOf: URL(fileURLWithPath: "\(folder)/predictions.json")))
    }

    /// The ensemble's probability maps are the mean of the members' own maps (each as
    /// `lits predict --run X --probabilities` writes it) within float rounding; its labels come
    /// from thresholding that mean; predictions.json names both runs and checkpoints by absolute
    /// path with their SHA-256.
    func testEnsembleProbabilitiesAreTheMeanOfTheMembers() throws {
        let work = try makeTempDir(self)
        let (data, a, b) = try twoRuns(work)
        for (runs, out) in [([a], "pa"), ([b], "pb"), ([a, b], "pe")] {
            let r = try runLits(["predict"] + runs.flatMap { ["--run", $0] } + [data, "--out", "\(work)/\(out)", "--probabilities"])
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        var differ = 0
        for id in [1, 2] {
            for kind in ["liver", "lesion"] {
                let pa = try probabilities("\(work)/pa", kind, id), pb = try probabilities("\(work)/pb", kind, id)
                let pe = try probabilities("\(work)/pe", kind, id)
                XCTAssertEqual(pe.shape, [32, 32, 12])
                XCTAssertEqual(pe.shape, pa.shape)
                for n in pe.voxels.indices {
                    XCTAssertEqual(pe.voxels[n], (pa.voxels[n] + pb.voxels[n]) / 2, accuracy: 1e-6, "case \(id) \(kind) voxel \(n)")
                    if abs(pa.voxels[n] - pb.voxels[n]) > 1e-3 { differ += 1 }
                }
            }
            // Tumour and liver labels only where the mean says so (threshold 0.5).
            let labels = try NIfTIReader.readFloat(path: "\(work)/pe/segmentation-\(id).nii.gz").0
            let liver = try probabilities("\(work)/pe", "liver", id), lesion = try probabilities("\(work)/pe", "lesion", id)
            for n in labels.voxels.indices {
                if labels.voxels[n] >= 1 { XCTAssertGreaterThan(liver.voxels[n], 0.5) }
                if labels.voxels[n] == 2 { XCTAssertGreaterThan(lesion.voxels[n], 0.5) }
            }
        }
        XCTAssertGreaterThan(differ, 100, "the two members must predict differently, or the mean proves nothing")
        let rec = try record("\(work)/pe")
        let absA = URL(fileURLWithPath: a).standardizedFileURL.path, absB = URL(fileURLWithPath: b).standardizedFileURL.path
        XCTAssertEqual(rec["run"], [absA, absB])
        XCTAssertEqual(rec["checkpoint"], ["\(absA)/best.safetensors", "\(absB)/best.safetensors"])
        XCTAssertEqual(rec["sha256"]?.count, 2)
        for (file, sum) in zip(rec["checkpoint"] ?? [], rec["sha256"] ?? []) {
            XCTAssertEqual(sum, SHA256.hex(try Data(contentsOf: URL(fileURLWithPath: file))), file)
        }
        // A single run's record is absolute and checksummed too (#32).
        XCTAssertEqual(try record("\(work)/pa")["run"], [absA])
        XCTAssertEqual(try record("\(work)/pa")["sha256"]?.count, 1)
    }

    /// Runs that predict different labels (a joint run and a liver stage) are refused before any
    /// case, with one line naming both runs; a run given twice is refused too.
    func testIncompatibleRunsAreRefused() throws {
        let work = try makeTempDir(self)
        let data = work + "/data"
        try writePhantomCase(dir: data, id: 1, shape: [32, 32, 12])
        try writePhantomCase(dir: data, id: 2, shape: [32, 32, 12])
        let pre = try runLits(["preprocess", data, "--out", work + "/pre", "--size", "32", "--slice-spacing", "4"])
        XCTAssertEqual(pre.status, 0, pre.stderr)
        let joint = try trainRun(work + "/pre", out: work + "/joint", seed: 1)
        let liver = try trainRun(work + "/pre", out: work + "/liver", seed: 1, extra: ["--stage", "liver"])
        var r = try runLits(["predict", "--run", joint, "--run", liver, data, "--out", work + "/p"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertEqual(errorLines(r).count, 1, r.stderr)
        let line = errorLines(r).first ?? ""
        XCTAssertTrue(line.contains(joint) && line.contains(liver) && line.contains("stage liver") && line.contains("stage joint"), line)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/p"), "refused before the output folder")
        r = try runLits(["predict", "--run", joint, "--run", joint + "/", data, "--out", work + "/p"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(errorLines(r).first?.contains("given twice") ?? false, r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/p"))
    }

    /// A cross-validation folder (`crossvalidation.json` naming its fold folders, each a run)
    /// predicts with every fold: the same probabilities as the folds given one by one, cleaned as
    /// its `postprocessing.json` chose unless the flags are given.
    func testCrossValidationFolderPredictsWithAllFolds() throws {
        let work = try makeTempDir(self)
        let (data, a, b) = try twoRuns(work)
        let cv = work + "/cv"
        try FileManager.default.createDirectory(atPath: cv, withIntermediateDirectories: true)
        try FileManager.default.moveItem(atPath: a, toPath: cv + "/fold-0")
        try FileManager.default.moveItem(atPath: b, toPath: cv + "/fold-1")
        try Data(#"{"formatVersion": 1, "folds": 2, "foldFolders": ["fold-0", "fold-1"]}"#.utf8).write(to: URL(fileURLWithPath: cv + "/crossvalidation.json"))
        try Data(#"{"largestLiver": false, "lesionsInLiver": false}"#.utf8).write(to: URL(fileURLWithPath: cv + "/postprocessing.json"))
        var r = try runLits(["predict", "--run", cv, data, "--out", work + "/pcv", "--probabilities"])
        XCTAssertEqual(r.status, 0, r.stderr)
        // A folder's folds predict with their last checkpoint (as their out-of-fold predictions did).
        r = try runLits(["predict", "--run", cv + "/fold-0", "--run", cv + "/fold-1", data, "--out", work + "/pab", "--probabilities",
                         "--no-largest-liver", "--no-lesions-in-liver", "--checkpoint", "last"])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try runLits(["predict", "--run", cv, data, "--out", work + "/pflags", "--largest-liver"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let absCV = URL(fileURLWithPath: cv).standardizedFileURL.path
        let rec = try record(work + "/pcv")
        XCTAssertEqual(rec["run"], [absCV + "/fold-0", absCV + "/fold-1"])
        XCTAssertEqual(rec["crossValidation"], [absCV])
        for id in [1, 2] {
            for name in ["probability-liver-\(id).nii.gz", "probability-lesion-\(id).nii.gz", "segmentation-\(id).nii.gz"] {
                let one = try NIfTIReader.readFloat(path: "\(work)/pcv/\(name)").0, two = try NIfTIReader.readFloat(path: "\(work)/pab/\(name)").0
                XCTAssertEqual(one.voxels, two.voxels, name)
            }
        }
        // A fold that is not trained yet is named before anything is predicted.
        try FileManager.default.moveItem(atPath: cv + "/fold-1", toPath: work + "/elsewhere")
        r = try runLits(["predict", "--run", cv, data, "--out", work + "/pmissing"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(errorLines(r).first?.contains("fold-1") ?? false, r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/pmissing"))
    }

    /// The same with a folder `lits train --folds 2` wrote: every fold predicts, and its
    /// postprocessing.json decides the clean-up (as the flags of an explicit two-run ensemble).
    func testTrainedFoldsFolderPredictsWithEveryFold() throws {
        let work = try makeTempDir(self), data = work + "/data"
        try writePhantomCase(dir: data, id: 1, shape: [32, 32, 12])
        try writePhantomCase(dir: data, id: 2, shape: [32, 32, 12])
        var r = try runLits(["preprocess", data, "--out", work + "/pre", "--size", "32", "--slice-spacing", "4"])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try runLits(["train", work + "/pre", "--out", work + "/cv", "--folds", "2", "--recipe", "baseline", "--patch", "16,16,8",
                         "--filters", "4,8", "--volumes-per-batch", "1", "--patches-per-volume", "1", "--epochs", "2",
                         "--batches-per-epoch", "2", "--seed", "3"])
        XCTAssertEqual(r.status, 0, r.stderr)
        struct Chosen: Decodable { var largestLiver: Bool; var lesionsInLiver: Bool }
        let chosen = try JSONDecoder().decode(Chosen.self, from: Data(contentsOf: URL(fileURLWithPath: work + "/cv/postprocessing.json")))
        r = try runLits(["predict", "--run", work + "/cv", data, "--out", work + "/p", "--probabilities"])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try runLits(["predict", "--run", work + "/cv/fold-0", "--run", work + "/cv/fold-1", data, "--out", work + "/q", "--probabilities", "--checkpoint", "last",
                         chosen.largestLiver ? "--largest-liver" : "--no-largest-liver", chosen.lesionsInLiver ? "--lesions-in-liver" : "--no-lesions-in-liver"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let absCV = URL(fileURLWithPath: work + "/cv").standardizedFileURL.path
        XCTAssertEqual(try record(work + "/p")["run"], [absCV + "/fold-0", absCV + "/fold-1"])
        XCTAssertEqual(try record(work + "/p")["checkpoint"], [absCV + "/fold-0/last.safetensors", absCV + "/fold-1/last.safetensors"])
        XCTAssertEqual(try record(work + "/p")["postprocessing"]?.last, "chosen in \(absCV)/postprocessing.json")
        XCTAssertEqual(try record(work + "/q")["postprocessing"],
                       ["--threshold 0.5", chosen.largestLiver ? "--largest-liver" : "--no-largest-liver",
                        chosen.lesionsInLiver ? "--lesions-in-liver" : "--no-lesions-in-liver"], "the flags decide")
        for id in [1, 2] {
            for name in ["probability-liver-\(id).nii.gz", "probability-lesion-\(id).nii.gz", "segmentation-\(id).nii.gz"] {
                XCTAssertEqual(try NIfTIReader.readFloat(path: "\(work)/p/\(name)").0.voxels, try NIfTIReader.readFloat(path: "\(work)/q/\(name)").0.voxels, name)
            }
        }
    }
}
