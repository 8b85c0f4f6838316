import Foundation
import XCTest
import LiTSCore

/// `lits export nnunet`: the nnU-Net v2 raw layout, hard links where the bytes stay, a gzipped
/// `.nii`, cases left out by `--exclude` and by QA errors, and the record of it all.
final class ExportNNUNetTests: XCTestCase {
    func inode(_ path: String) -> UInt64 {
        var st = stat()
        XCTAssertEqual(stat(path, &st), 0, path)
        return UInt64(st.st_ino)
    }

    func json(_ path: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    }

    /// Every file under `dir` but the folder marker and lock, as relative paths.
    func files(_ dir: String) -> [String] {
        (FileManager.default.enumerator(atPath: dir)?.allObjects as? [String] ?? [])
            .filter { !$0.hasPrefix(".") && !$0.hasSuffix("Tr") && !$0.hasSuffix("Ts") }.sorted()
    }

    func testExportWritesTheRawLayoutLinkingWhatCanStay() throws {
        let data = try makeTempDir(self), work = try makeTempDir(self)
        try writePhantomCase(dir: data, id: 1)
        try writePhantomCase(dir: data, id: 2, ext: "nii")          // re-encoded: .nii -> .nii.gz
        try writePhantomCase(dir: data, id: 3)                      // left out by --exclude
        try writePhantomCase(dir: work + "/t", id: 4)
        try FileManager.default.moveItem(atPath: work + "/t/volume-4.nii.gz", toPath: data + "/test-volume-4.nii.gz")
        let before = folderContents(data)
        let out = work + "/nnUNet_raw/Dataset042_Liver"
        let r = try runLits(["export", "nnunet", data, "--out", out, "--exclude", "3"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(files(out), ["dataset.json", "imagesTr/Liver_001_0000.nii.gz", "imagesTr/Liver_002_0000.nii.gz",
                                    "imagesTs/Liver_004_0000.nii.gz", "labelsTr/Liver_001.nii.gz", "labelsTr/Liver_002.nii.gz",
                                    "litskit-export.json"])
        // Hard links: the same inode as the input's file; the gzipped .nii is a new file with the same voxels.
        XCTAssertEqual(inode(out + "/imagesTr/Liver_001_0000.nii.gz"), inode(data + "/volume-1.nii.gz"))
        XCTAssertEqual(inode(out + "/labelsTr/Liver_001.nii.gz"), inode(data + "/segmentation-1.nii.gz"))
        XCTAssertEqual(inode(out + "/imagesTs/Liver_004_0000.nii.gz"), inode(data + "/test-volume-4.nii.gz"))
        XCTAssertNotEqual(inode(out + "/imagesTr/Liver_002_0000.nii.gz"), inode(data + "/volume-2.nii"))
        for (exported, source) in [("imagesTr/Liver_002_0000.nii.gz", "volume-2.nii"), ("labelsTr/Liver_002.nii.gz", "segmentation-2.nii")] {
            let (a, sa) = try NIfTIReader.readFloat(path: "\(out)/\(exported)")
            let (b, sb) = try NIfTIReader.readFloat(path: "\(data)/\(source)")
            XCTAssertEqual(a.voxels, b.voxels, exported)
            XCTAssertEqual(sa.grid, sb.grid, exported)
            XCTAssertEqual(sa.header.datatype, sb.header.datatype, "gzipped as it is, datatype kept: \(exported)")
        }
        XCTAssertEqual(folderContents(data), before, "the input is untouched")

        let dataset = try json(out + "/dataset.json")
        XCTAssertEqual(dataset["channel_names"] as? [String: String], ["0": "CT"])
        XCTAssertEqual(dataset["labels"] as? [String: Int], ["background": 0, "liver": 1, "tumor": 2])
        XCTAssertEqual(dataset["numTraining"] as? Int, 2)
        XCTAssertEqual(dataset["file_ending"] as? String, ".nii.gz")

        let record = try json(out + "/litskit-export.json")
        let cases = try XCTUnwrap(record["cases"] as? [[String: Any]])
        XCTAssertEqual(cases.map { $0["id"] as? String }, ["1", "2", "4"])
        XCTAssertEqual(cases.map { $0["identifier"] as? String }, ["Liver_001", "Liver_002", "Liver_004"])
        let image = { (n: Int) in cases[n]["image"] as? [String: String] }
        let label = { (n: Int) in cases[n]["label"] as? [String: String] }
        XCTAssertEqual(image(0), ["path": "imagesTr/Liver_001_0000.nii.gz", "source": data + "/volume-1.nii.gz", "how": "linked"])
        XCTAssertEqual(label(0), ["path": "labelsTr/Liver_001.nii.gz", "source": data + "/segmentation-1.nii.gz", "how": "linked"])
        XCTAssertEqual(image(1), ["path": "imagesTr/Liver_002_0000.nii.gz", "source": data + "/volume-2.nii", "how": "compressed"])
        XCTAssertEqual(label(1)?["how"], "compressed")
        XCTAssertEqual(image(2)?["path"], "imagesTs/Liver_004_0000.nii.gz")
        XCTAssertNil(label(2))
        let leftOut = try XCTUnwrap(record["leftOut"] as? [[String: String]])
        XCTAssertEqual(leftOut, [["id": "3", "volume": data + "/volume-3.nii.gz", "segmentation": data + "/segmentation-3.nii.gz", "reason": "--exclude"]])
        XCTAssertEqual((try json(out + "/.litskit.json"))["command"] as? String, "lits export nnunet")

        // A rerun without --exclude replaces the export as a whole; the input's files stay.
        let again = try runLits(["export", "nnunet", data, "--out", out])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(files(out).contains("labelsTr/Liver_003.nii.gz"))
        XCTAssertEqual(try json(out + "/dataset.json")["numTraining"] as? Int, 3)
        XCTAssertEqual(folderContents(data), before)
    }

    /// A label map in other values (TotalSegmentator's liver 5, with tumour 6 here) mapped by
    /// --labels is written anew as 0/1/2 on the image's own grid; the image stays linked.
    func testMappedLabelsAreWrittenAnew() throws {
        let data = try makeTempDir(self), work = try makeTempDir(self)
        try writePhantomCase(dir: data, id: 7, labelOverride: { $0.voxels = $0.voxels.map { $0 == 0 ? 0 : $0 + 4 } })
        try writePhantomCase(dir: work + "/plain", id: 7)
        let out = work + "/Dataset006_Liver"
        var r = try runLits(["export", "nnunet", data, "--out", out])
        XCTAssertEqual(r.status, 1, "values 5 and 6 without a mapping are refused")
        XCTAssertEqual(errorLines(r).count, 1, r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        r = try runLits(["export", "nnunet", data, "--out", out, "--labels", "liver=5,tumor=6"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let (mapped, ms) = try NIfTIReader.readFloat(path: out + "/labelsTr/Liver_007.nii.gz")
        let (plain, ps) = try NIfTIReader.readFloat(path: work + "/plain/segmentation-7.nii.gz")
        XCTAssertEqual(mapped.voxels, plain.voxels)
        XCTAssertEqual(ms.grid, ps.grid)
        XCTAssertEqual(inode(out + "/imagesTr/Liver_007_0000.nii.gz"), inode(data + "/volume-7.nii.gz"))
        let cases = try XCTUnwrap(try json(out + "/litskit-export.json")["cases"] as? [[String: Any]])
        XCTAssertEqual((cases.first?["label"] as? [String: String])?["how"], "remapped")
    }

    /// On another file system the files are copied (no link can cross it); on a full disk the
    /// export fails with one line and leaves nothing.
    func testAnotherFileSystemGetsCopiesAndAFullDiskLeavesNothing() throws {
        let disk = try makeSmallDisk(self, megabytes: 4)
        let data = try makeTempDir(self)
        for id in 1...4 { try writePhantomCase(dir: data, id: id) }
        let out = disk + "/Dataset008_Liver"
        var r = try runLits(["export", "nnunet", data, "--out", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertNotEqual(inode(out + "/imagesTr/Liver_001_0000.nii.gz"), inode(data + "/volume-1.nii.gz"))
        XCTAssertEqual(FileManager.default.contents(atPath: out + "/imagesTr/Liver_001_0000.nii.gz"),
                       FileManager.default.contents(atPath: data + "/volume-1.nii.gz"))
        let cases = try XCTUnwrap(try json(out + "/litskit-export.json")["cases"] as? [[String: Any]])
        XCTAssertEqual((cases[0]["image"] as? [String: String])?["how"], "copied")
        try FileManager.default.removeItem(atPath: out)

        try fillDisk(disk, leaveKilobytes: 24)
        r = try runLits(["export", "nnunet", data, "--out", out])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertEqual(errorLines(r).count, 1, r.stderr)
        XCTAssertTrue((errorLines(r).first ?? "").contains("no space left on the device"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), "a failed export leaves no folder")
    }

    func testRefusals() throws {
        let data = try makeTempDir(self), work = try makeTempDir(self)
        try writePhantomCase(dir: data, id: 1)
        // nnU-Net finds datasets only by DatasetNNN_Name.
        var r = try runLits(["export", "nnunet", data, "--out", work + "/liver-export"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(errorLines(r), ["lits: error: \(work)/liver-export: nnU-Net needs the dataset folder named DatasetNNN_Name (three digits, e.g. Dataset003_Liver)"], r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/liver-export"))
        // Never into the input.
        r = try runLits(["export", "nnunet", data, "--out", data + "/Dataset001_Liver"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(errorLines(r).count, 1, r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: data + "/Dataset001_Liver"))
        // A folder of the user's is left alone.
        try FileManager.default.createDirectory(atPath: work + "/Dataset002_Liver", withIntermediateDirectories: true)
        try Data("notes".utf8).write(to: URL(fileURLWithPath: work + "/Dataset002_Liver/notes.txt"))
        r = try runLits(["export", "nnunet", data, "--out", work + "/Dataset002_Liver"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: work + "/Dataset002_Liver"), ["notes.txt"])
        // An unknown --exclude id.
        r = try runLits(["export", "nnunet", data, "--out", work + "/Dataset003_Liver", "--exclude", "9"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue((errorLines(r).first ?? "").contains("--exclude names case 9"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/Dataset003_Liver"))
    }

    /// A case whose label map is on another grid stops the export (no partial folder), and is
    /// left out, with the QA finding as the reason, under --exclude-qa-errors.
    func testQAErrorsStopTheExportOrAreLeftOut() throws {
        let data = try makeTempDir(self), work = try makeTempDir(self)
        // An adult's size (QA's spacing checks pass), not a duplicate of case 2.
        try writePhantomCase(dir: data, id: 1, shape: [40, 32, 24], spacing: [9.6, 9.6, 12])
        try writePhantomCase(dir: data, id: 2)
        try writePhantomCase(dir: work + "/other", id: 2, shape: [40, 32, 18])
        try FileManager.default.removeItem(atPath: data + "/segmentation-2.nii.gz")
        try FileManager.default.copyItem(atPath: work + "/other/segmentation-2.nii.gz", toPath: data + "/segmentation-2.nii.gz")
        let out = work + "/Dataset005_Liver"
        var r = try runLits(["export", "nnunet", data, "--out", out])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(errorLines(r).count, 1, r.stderr)
        XCTAssertTrue((errorLines(r).first ?? "").hasPrefix("lits: error: \(data)/segmentation-2.nii.gz: grid"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), "a failed export leaves no folder")

        r = try runLits(["export", "nnunet", data, "--out", out, "--exclude-qa-errors"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(files(out), ["dataset.json", "imagesTr/Liver_001_0000.nii.gz", "labelsTr/Liver_001.nii.gz", "litskit-export.json"])
        let leftOut = try XCTUnwrap(try json(out + "/litskit-export.json")["leftOut"] as? [[String: String]])
        XCTAssertEqual(leftOut.map { $0["id"] }, ["2"])
        XCTAssertTrue(leftOut[0]["reason"]?.hasPrefix("QA error: ") ?? false, "\(leftOut)")
        XCTAssertTrue(r.stdout.contains("left out case 2: QA error"), r.stdout)
    }
}
