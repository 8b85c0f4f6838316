import Foundation
import XCTest
import LiTSCore

/// Commands read every layout through one discovery: the same ids in two folders are qualified
/// by the folder's name, `--labels` maps a TotalSegmentator map, and what cannot be read as it
/// stands is refused with one line.
final class DatasetLayoutCommandTests: XCTestCase {
    /// `--json` rows of `lits info`.
    func infoRows(_ r: CLIResult) throws -> [[String: Any]] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]], r.stderr)
    }

    /// Case folders `pN/ct.nii.gz` + `pN/segmentations.nii.gz` (liver 5, tumour 6, other organs
    /// 1 where LiTS has background) of LiTS cases in `lits`.
    func multilabelFolders(from lits: String, ids: [Int], to dir: String) throws {
        for n in ids {
            try FileManager.default.createDirectory(atPath: "\(dir)/p\(n)", withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: "\(lits)/volume-\(n).nii.gz", toPath: "\(dir)/p\(n)/ct.nii.gz")
            let (labels, _) = try NIfTIReader.readLabels(path: "\(lits)/segmentation-\(n).nii.gz")
            try NIfTIWriter.write(labels.map { $0 == 0 ? UInt8(1) : $0 + 4 }, to: "\(dir)/p\(n)/segmentations.nii.gz")
        }
    }

    func testInfoTakesTheSameIdInTwoFoldersQualified() throws {
        let dir = try makeTempDir(self)
        for folder in ["train", "test"] { for n in [1, 2] { try writePhantomCase(dir: "\(dir)/\(folder)", id: n) } }
        let r = try runLits(["info", "\(dir)/train", "\(dir)/test", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try infoRows(r).map { $0["id"] as? String }, ["1", "2", "test-1", "test-2"])
        XCTAssertEqual(try infoRows(r).map { $0["volume"] as? String }.last, "\(dir)/test/volume-2.nii.gz")
    }

    func testTotalSegmentatorMultilabelMapWithLabels() throws {
        let dir = try makeTempDir(self)
        try writePhantomCase(dir: "\(dir)/lits", id: 4)
        try multilabelFolders(from: "\(dir)/lits", ids: [4], to: "\(dir)/ts")
        let reference = try runLits(["info", "\(dir)/lits", "--json"])
        let mapped = try runLits(["info", "\(dir)/ts", "--labels", "liver=5,tumor=6,background=rest", "--json"])
        XCTAssertEqual(mapped.status, 0, mapped.stderr)
        XCTAssertEqual(try infoRows(mapped)[0]["id"] as? String, "p4")
        let counts = try infoRows(reference)[0]["labelCounts"] as? [String: Int]
        XCTAssertNotNil(counts?["tumor"])
        XCTAssertGreaterThan(counts?["tumor"] ?? 0, 0)
        XCTAssertEqual(try infoRows(mapped)[0]["labelCounts"] as? [String: Int], counts)

        // Without the mapping: one line naming the file, the value and its voxel count.
        let refused = try runLits(["info", "\(dir)/ts"])
        XCTAssertNotEqual(refused.status, 0)
        // (info then sums up: "1 of 1 cases failed").
        let line = try XCTUnwrap(errorLines(refused).first { $0.contains("segmentations.nii.gz") }, refused.stderr)
        XCTAssertTrue(line.hasPrefix("lits: error: \(dir)/ts/p4/segmentations.nii.gz: labels outside {0, 1, 2}: 5 (\(counts!["liver"]!) voxels)"), line)
        XCTAssertTrue(line.contains("--labels"), line)

        // A bad mapping is refused before anything is read.
        let bad = try runLits(["info", "\(dir)/ts", "--labels", "spleen=1"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("spleen=1"), bad.stderr)
    }

    /// An nnU-Net dataset with a second channel's file is refused by qa with one line and no report.
    func testQARefusesAnUnknownChannel() throws {
        let dir = try makeTempDir(self)
        try writePhantomCase(dir: "\(dir)/lits", id: 3)
        let nn = "\(dir)/Dataset003_Liver"
        for sub in ["imagesTr", "labelsTr"] { try FileManager.default.createDirectory(atPath: "\(nn)/\(sub)", withIntermediateDirectories: true) }
        try FileManager.default.copyItem(atPath: "\(dir)/lits/volume-3.nii.gz", toPath: "\(nn)/imagesTr/liver_003_0000.nii.gz")
        try FileManager.default.copyItem(atPath: "\(dir)/lits/segmentation-3.nii.gz", toPath: "\(nn)/labelsTr/liver_003.nii.gz")
        try Data(#"{"channel_names": {"0": "CT"}, "labels": {"background": 0, "liver": 1, "tumor": 2}, "numTraining": 1, "file_ending": ".nii.gz"}"#.utf8)
            .write(to: URL(fileURLWithPath: "\(nn)/dataset.json"))
        let ok = try runLits(["info", nn, "--json"])
        XCTAssertEqual(ok.status, 0, ok.stderr)
        XCTAssertEqual(try infoRows(ok).map { $0["id"] as? String }, ["liver_003"])

        try FileManager.default.copyItem(atPath: "\(dir)/lits/volume-3.nii.gz", toPath: "\(nn)/imagesTr/liver_003_0001.nii.gz")
        let r = try runLits(["qa", nn, "--out", "\(dir)/qa"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertEqual(errorLines(r), ["lits: error: \(nn)/imagesTr/liver_003_0001.nii.gz: channel 0001 is not in \(nn)/dataset.json's channel_names (lits reads one CT channel, 0000)"], r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(dir)/qa"))
    }

    /// evaluate --pred-labels: TotalSegmentator-valued predictions score as the 0/1/2 ones.
    func testEvaluatePredLabels() throws {
        let dir = try makeTempDir(self)
        try writePhantomCase(dir: "\(dir)/truth", id: 5)
        try FileManager.default.createDirectory(atPath: "\(dir)/pred", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: "\(dir)/pred5", withIntermediateDirectories: true)
        let (labels, _) = try NIfTIReader.readLabels(path: "\(dir)/truth/segmentation-5.nii.gz")
        var pred = labels
        for n in 0..<pred.count where n % 7 == 0 && pred.voxels[n] == 2 { pred.voxels[n] = 1 }
        try NIfTIWriter.write(pred, to: "\(dir)/pred/segmentation-5.nii.gz")
        try NIfTIWriter.write(pred.map { $0 == 0 ? UInt8(0) : $0 + 4 }, to: "\(dir)/pred5/segmentation-5.nii.gz")
        let a = try runLits(["evaluate", "--pred", "\(dir)/pred", "--truth", "\(dir)/truth", "--out", "\(dir)/a"])
        XCTAssertEqual(a.status, 0, a.stderr)
        let b = try runLits(["evaluate", "--pred", "\(dir)/pred5", "--truth", "\(dir)/truth", "--out", "\(dir)/b", "--pred-labels", "liver=5,tumor=6"])
        XCTAssertEqual(b.status, 0, b.stderr)
        let rowA = try String(contentsOfFile: "\(dir)/a/data/cases.csv", encoding: .utf8).split(separator: "\n")[1].split(separator: ",")
        let rowB = try String(contentsOfFile: "\(dir)/b/data/cases.csv", encoding: .utf8).split(separator: "\n")[1].split(separator: ",")
        XCTAssertEqual(rowA.count, rowB.count)
        // The same scores; only the prediction's path differs.
        XCTAssertEqual(rowA.filter { !$0.contains("/pred") }, rowB.filter { !$0.contains("/pred") })
    }
}
