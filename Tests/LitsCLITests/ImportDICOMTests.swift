import Foundation
import XCTest
import LiTSCore

/// `lits import-dicom` on the pydicom fixture series (scripts/make_dicom_fixtures.py): the written
/// LiTS pair holds the generating array's HU and labels exactly and its affine within 1e-4.
final class ImportDICOMTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("LiTSDICOMTests/Fixtures/dicom").path

    struct Expected: Decodable {
        var shape: [Int]
        var affine: [[Double]]
        var hu: [Double]
        var labels: [Int]?
    }

    func expected(_ name: String) throws -> Expected {
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(Self.fixtures)/expected-\(name).json"))
        return try JSONDecoder().decode(Expected.self, from: data)
    }

    func assertAffine(_ grid: Grid, _ want: [[Double]], file: StaticString = #filePath, line: UInt = #line) {
        for r in 0..<4 {
            for c in 0..<4 {
                XCTAssertEqual(grid.affine[r, c], want[r][c], accuracy: 1e-4, "affine[\(r), \(c)]", file: file, line: line)
            }
        }
    }

    func testSeriesWithLiverAndTwoTumourMasksBecomesALiTSPair() throws {
        let out = try makeTempDir(self)
        let f = Self.fixtures
        let r = try runLits(["import-dicom", "\(f)/axial_reversed", "--mask", "liver=\(f)/mask_liver",
                             "--mask", "tumor=\(f)/mask_tumor1", "--mask", "tumor=\(f)/mask_tumor2", "--id", "28", "--out", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        let want = try expected("axial_reversed")
        let (ct, _) = try NIfTIReader.readFloat(path: "\(out)/volume-28.nii.gz")
        XCTAssertEqual(ct.shape, want.shape)
        assertAffine(ct.grid, want.affine)
        XCTAssertEqual(ct.voxels.map(Double.init), want.hu)
        let (labels, _) = try NIfTIReader.readLabels(path: "\(out)/segmentation-28.nii.gz")
        assertAffine(labels.grid, want.affine)
        XCTAssertEqual(labels.voxels.map(Int.init), want.labels)
        XCTAssertEqual(Set(labels.voxels), [0, 1, 2])
    }

    func testObliqueSeriesKeepsItsAffine() throws {
        let out = try makeTempDir(self)
        let r = try runLits(["import-dicom", "\(Self.fixtures)/oblique", "--id", "3", "--out", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        let want = try expected("oblique")
        let (ct, _) = try NIfTIReader.readFloat(path: "\(out)/volume-3.nii.gz")
        assertAffine(ct.grid, want.affine)
        XCTAssertEqual(ct.voxels.map(Double.init), want.hu)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(out)/segmentation-3.nii.gz"))
    }

    /// Each refusal: one line naming the folder or file, a non-zero exit, no case written.
    func assertRefused(_ args: [String], _ fragments: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let out = try makeTempDir(self) + "/out"
        let r = try runLits(["import-dicom"] + args + ["--id", "1", "--out", out])
        XCTAssertNotEqual(r.status, 0, file: file, line: line)
        let errors = errorLines(r)
        XCTAssertEqual(errors.count, 1, r.stderr, file: file, line: line)
        // Nothing else on stderr (GDCM's own traces are silenced).
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr, file: file, line: line)
        for f in fragments { XCTAssertTrue(r.stderr.contains(f), "\(r.stderr) lacks \(f)", file: file, line: line) }
        let written = (try? FileManager.default.contentsOfDirectory(atPath: out)) ?? []
        XCTAssertFalse(written.contains { $0.hasSuffix(".nii.gz") }, "\(written)", file: file, line: line)
    }

    func testGapDuplicateTwoSeriesUndecodableAndOffGridMaskAreRefused() throws {
        let f = Self.fixtures
        try assertRefused(["\(f)/gap"], ["lits: error: \(f)/gap: slices unevenly spaced"])
        try assertRefused(["\(f)/duplicate"], ["lits: error: \(f)/duplicate: duplicated slice"])
        try assertRefused(["\(f)/two_series"], ["lits: error: \(f)/two_series: 2 series in one folder"])
        try assertRefused(["\(f)/undecodable"], ["lits: error: \(f)/undecodable/IM0000:", "1.2.840.10008.1.2.4.201"])
        try assertRefused(["\(f)/axial_reversed", "--mask", "liver=\(f)/mask_shifted"],
                          ["lits: error: \(f)/mask_shifted: mask series on another grid"])
    }

    func testUnknownMaskNameIsRefused() throws {
        let r = try runLits(["import-dicom", "\(Self.fixtures)/axial_reversed", "--mask", "spleen=\(Self.fixtures)/mask_liver",
                             "--id", "1", "--out", try makeTempDir(self)])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("expected liver=DIR or tumor=DIR"), r.stderr)
    }

    func testExistingCaseFilesAreNeverReplaced() throws {
        let out = try makeTempDir(self) + "/out"
        let f = Self.fixtures
        let first = try runLits(["import-dicom", "\(f)/oblique", "--id", "6", "--out", out])
        XCTAssertEqual(first.status, 0, first.stderr)
        let volume6 = FileManager.default.contents(atPath: "\(out)/volume-6.nii.gz")
        // A rerun of the same case is refused and leaves the first one's file as it was.
        let again = try runLits(["import-dicom", "\(f)/axial_reversed", "--id", "6", "--out", out])
        XCTAssertNotEqual(again.status, 0)
        XCTAssertEqual(errorLines(again), ["lits: error: \(out)/volume-6.nii.gz: exists; refusing to replace it (remove it first, or import with another --id)"])
        XCTAssertEqual(FileManager.default.contents(atPath: "\(out)/volume-6.nii.gz"), volume6)
        // A segmentation put there by hand: refused before the volume is written.
        let seg = "\(out)/segmentation-5.nii.gz"
        try Data("the user's own".utf8).write(to: URL(fileURLWithPath: seg))
        let r = try runLits(["import-dicom", "\(f)/axial_reversed", "--mask", "liver=\(f)/mask_liver", "--id", "5", "--out", out])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertEqual(errorLines(r), ["lits: error: \(seg): exists; refusing to replace it (remove it first, or import with another --id)"])
        XCTAssertEqual(FileManager.default.contents(atPath: seg), Data("the user's own".utf8))
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(out)/volume-5.nii.gz"))
    }
}
