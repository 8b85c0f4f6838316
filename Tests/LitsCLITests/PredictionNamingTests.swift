import Foundation
import XCTest
import LiTSCore

/// `lits predict` names segmentations as the input names its cases (LiTS, MSD, nnU-Net raw, or
/// `--names`), and `lits evaluate` scores a prediction folder in any of these namings (and
/// MONAI's) as it comes, matched to the truth by case id.
final class PredictionNamingTests: XCTestCase {
    func names(_ dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
    }

    /// The per-case score lines evaluate prints.
    func caseLines(_ r: CLIResult) -> [String] {
        r.stdout.split(separator: "\n").map(String.init).filter { $0.hasPrefix("case ") }
    }

    /// Phantom truth cases 1 and 2, and "predictions" that differ from them (tumor turned liver
    /// in case 1, part of the liver lost in case 2), so the scores are not all 1.
    func makeTruthAndPredictions(_ work: String) throws -> (truth: String, lits: String) {
        let truth = work + "/truth", lits = work + "/pred-lits"
        try writePhantomCase(dir: truth, id: 1)
        try writePhantomCase(dir: truth, id: 2)
        try writePhantomCase(dir: work + "/p1", id: 1, labelOverride: { $0.voxels = $0.voxels.map { $0 == 2 ? 1 : $0 } })
        try writePhantomCase(dir: work + "/p2", id: 2, labelOverride: { m in
            for n in 0..<(m.voxels.count / 2) where m.voxels[n] == 1 { m.voxels[n] = 0 }
        })
        try FileManager.default.createDirectory(atPath: lits, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: work + "/p1/segmentation-1.nii.gz", toPath: lits + "/segmentation-1.nii.gz")
        try FileManager.default.copyItem(atPath: work + "/p2/segmentation-2.nii.gz", toPath: lits + "/segmentation-2.nii.gz")
        return (truth, lits)
    }

    /// The same predictions renamed as nnU-Net (Dataset name prefix, 3 digits), MSD and MONAI
    /// (`STEM/STEM_seg.nii.gz`) write them give the same scores as the LiTS-named folder.
    func testEvaluateScoresEveryNamingTheSame() throws {
        let work = try makeTempDir(self)
        let (truth, lits) = try makeTruthAndPredictions(work)
        var r = try runLits(["evaluate", "--pred", lits, "--truth", truth, "--out", work + "/eval-lits"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let expected = caseLines(r)
        XCTAssertEqual(expected.count, 2, r.stdout)
        XCTAssertFalse(expected.allSatisfy { $0.contains("liver Dice 1.0000, lesion Dice 1.0000") }, "the predictions differ from the truth: \(expected)")

        let namings: [(String, (Int) -> String)] = [
            ("nnunet", { "Liver_\(String(format: "%03d", $0)).nii.gz" }),
            ("nnunet-lower", { "liver_\(String(format: "%03d", $0)).nii.gz" }),
            ("msd", { "liver_\($0).nii.gz" }),
            ("monai", { "volume-\($0)/volume-\($0)_seg.nii.gz" }),
        ]
        for (kind, name) in namings {
            let pred = work + "/pred-\(kind)"
            for id in [1, 2] {
                let file = "\(pred)/\(name(id))"
                try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: file).deletingLastPathComponent().path, withIntermediateDirectories: true)
                try FileManager.default.copyItem(atPath: "\(lits)/segmentation-\(id).nii.gz", toPath: file)
            }
            // nnU-Net's prediction folder also holds its own JSON files.
            try Data("{}".utf8).write(to: URL(fileURLWithPath: pred + "/plans.json"))
            r = try runLits(["evaluate", "--pred", pred, "--truth", truth, "--out", work + "/eval-\(kind)"])
            XCTAssertEqual(r.status, 0, "\(kind): \(r.stderr)")
            XCTAssertEqual(caseLines(r), expected, kind)
        }

        // Two namings of one case in a folder stay ambiguous: refused, naming both.
        try FileManager.default.copyItem(atPath: lits + "/segmentation-1.nii.gz", toPath: work + "/pred-msd/segmentation-1.nii.gz")
        r = try runLits(["evaluate", "--pred", work + "/pred-msd", "--truth", truth, "--out", work + "/eval-both"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertEqual(errorLines(r), ["lits: error: \(work)/pred-msd: case 1 has 2 candidate predictions (liver_1.nii.gz, segmentation-1.nii.gz); keep one, or point --pred at the folder that holds the one to score"], r.stderr)
        // An nnU-Net image (channel _0000) is not taken for a prediction.
        try FileManager.default.removeItem(atPath: work + "/pred-msd/segmentation-1.nii.gz")
        try FileManager.default.copyItem(atPath: truth + "/volume-1.nii.gz", toPath: work + "/pred-msd/liver_001_0000.nii.gz")
        r = try runLits(["evaluate", "--pred", work + "/pred-msd", "--truth", truth, "--out", work + "/eval-msd2"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(caseLines(r), expected)
    }

    /// predict writes liver_N.nii.gz for MSD input, nnU-Net's CASE.nii.gz for nnU-Net raw input,
    /// segmentation-N.nii.gz for LiTS input; --names and --lits-names override; evaluate scores
    /// each folder against its input by the record's case ids.
    func testPredictWritesTheInputsOwnNaming() throws {
        let data = try makeTempDir(self), work = try makeTempDir(self)
        let run = try trainTinyRun(epochs: 1, data: data, work: work)
        // MSD Task03 layout of the same cases.
        let msd = work + "/Task03_Liver"
        for dir in ["imagesTr", "labelsTr"] { try FileManager.default.createDirectory(atPath: "\(msd)/\(dir)", withIntermediateDirectories: true) }
        for id in [1, 2] {
            try FileManager.default.copyItem(atPath: "\(data)/volume-\(id).nii.gz", toPath: "\(msd)/imagesTr/liver_\(id).nii.gz")
            try FileManager.default.copyItem(atPath: "\(data)/segmentation-\(id).nii.gz", toPath: "\(msd)/labelsTr/liver_\(id).nii.gz")
        }
        var r = try runLits(["predict", "--run", run, msd, "--out", work + "/pred-msd"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(names(work + "/pred-msd"), ["liver_1.nii.gz", "liver_2.nii.gz", "predictions.json"])
        r = try runLits(["evaluate", "--pred", work + "/pred-msd", "--truth", msd, "--out", work + "/eval-msd"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let scores = caseLines(r)
        XCTAssertEqual(scores.count, 2, r.stdout)

        // nnU-Net raw layout (by `lits export nnunet`): nnU-Net's own prediction naming.
        let raw = work + "/nnUNet_raw/Dataset007_Liver"
        r = try runLits(["export", "nnunet", data, "--out", raw])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try runLits(["predict", "--run", run, raw, "--out", work + "/pred-nnunet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(names(work + "/pred-nnunet"), ["Liver_001.nii.gz", "Liver_002.nii.gz", "predictions.json"])
        // The LiTS truth scores nnU-Net's names by case number.
        r = try runLits(["evaluate", "--pred", work + "/pred-nnunet", "--truth", raw, "--out", work + "/eval-nnunet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(caseLines(r).count, 2, r.stdout)

        // LiTS input keeps today's naming; --names and --lits-names choose.
        r = try runLits(["predict", "--run", run, data, "--out", work + "/pred-lits"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(names(work + "/pred-lits"), ["predictions.json", "segmentation-1.nii.gz", "segmentation-2.nii.gz"])
        r = try runLits(["evaluate", "--pred", work + "/pred-lits", "--truth", data, "--out", work + "/eval-lits"])
        XCTAssertEqual(caseLines(r), scores, "the same model scores the same on the same cases in either layout")
        r = try runLits(["predict", "--run", run, msd, "--out", work + "/pred-msd", "--names", "lits"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(names(work + "/pred-msd"), ["predictions.json", "segmentation-1.nii.gz", "segmentation-2.nii.gz"], "a rerun replaces the MSD-named files")
        r = try runLits(["predict", "--run", run, data, "--out", work + "/pred-lits", "--names", "msd"])
        XCTAssertEqual(names(work + "/pred-lits"), ["liver_1.nii.gz", "liver_2.nii.gz", "predictions.json"])
        r = try runLits(["predict", "--run", run, msd, "--out", work + "/pred-msd", "--lits-names"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(names(work + "/pred-msd"), ["predictions.json", "test-segmentation-1.nii", "test-segmentation-2.nii"])
        r = try runLits(["evaluate", "--pred", work + "/pred-msd", "--truth", msd, "--out", work + "/eval-msd2"])
        XCTAssertEqual(caseLines(r), scores)
        r = try runLits(["predict", "--run", run, msd, "--out", work + "/pred-x", "--lits-names", "--names", "msd"])
        XCTAssertNotEqual(r.status, 0)
    }
}
