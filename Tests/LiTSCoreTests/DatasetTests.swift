import XCTest
@testable import LiTSCore

final class DatasetTests: XCTestCase {
    func touch(_ path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: path, contents: Data())
    }

    func testLiTSLayoutAcrossNestedFolders() throws {
        let dir = try makeTempDir(self)
        // The common Kaggle copy: volumes in two parts, segmentations in another folder.
        try touch("\(dir)/volume_pt1/volume-0.nii")
        try touch("\(dir)/volume_pt2/volume-10.nii")
        try touch("\(dir)/volume_pt2/volume-2.nii.gz")
        try touch("\(dir)/segmentations/segmentation-0.nii")
        try touch("\(dir)/segmentations/segmentation-10.nii")
        try touch("\(dir)/segmentations/._segmentation-2.nii")  // macOS junk is ignored
        try touch("\(dir)/notes.txt")
        let cases = try Dataset.discover(dir)
        XCTAssertEqual(cases.map(\.id), ["0", "2", "10"], "numeric order")
        XCTAssertEqual(cases.map { $0.segmentationPath != nil }, [true, false, true])
        XCTAssertTrue(cases.allSatisfy { $0.layout == .lits })
    }

    func testLiTSTestBatchVolumesAreCasesWithoutLabels() throws {
        let dir = try makeTempDir(self)
        try touch("\(dir)/test-volume-0.nii")
        try touch("\(dir)/test-volume-12.nii")
        let cases = try Dataset.discover(dir)
        XCTAssertEqual(cases.map(\.id), ["0", "12"], "the submission names test-segmentation-N.nii by these ids")
        XCTAssertTrue(cases.allSatisfy { $0.segmentationPath == nil && $0.layout == .lits })
        let single = try Dataset.discover("\(dir)/test-volume-12.nii")
        XCTAssertEqual(single.map(\.id), ["12"])
        // A test volume and a training volume with the same number are two different cases.
        try touch("\(dir)/volume-12.nii")
        XCTAssertThrowsError(try Dataset.discover(dir)) { XCTAssertTrue("\($0)".contains("appears twice")) }
    }

    func testMSDLayoutWithTestImages() throws {
        let dir = try makeTempDir(self)
        try touch("\(dir)/Task03_Liver/imagesTr/liver_3.nii.gz")
        try touch("\(dir)/Task03_Liver/labelsTr/liver_3.nii.gz")
        try touch("\(dir)/Task03_Liver/imagesTs/liver_132.nii.gz")
        let cases = try Dataset.discover(dir)
        XCTAssertEqual(cases.map(\.id), ["3", "132"])
        XCTAssertEqual(cases[0].segmentationPath, "\(dir)/Task03_Liver/labelsTr/liver_3.nii.gz")
        XCTAssertNil(cases[1].segmentationPath)
        XCTAssertEqual(cases[0].layout, .msd)
    }

    func testEmptyAndMissingFolders() throws {
        let dir = try makeTempDir(self)
        try touch("\(dir)/readme.txt")
        XCTAssertThrowsError(try Dataset.discover(dir)) { XCTAssertEqual(($0 as? LiTSError)?.kind, .noCases) }
        XCTAssertThrowsError(try Dataset.discover("\(dir)/nope")) { XCTAssertEqual(($0 as? LiTSError)?.kind, .notFound) }
    }

    func testOrphanSegmentationAndDuplicates() throws {
        let dir = try makeTempDir(self)
        try touch("\(dir)/a/volume-1.nii")
        try touch("\(dir)/b/segmentation-4.nii")
        XCTAssertThrowsError(try Dataset.discover(dir)) { XCTAssertTrue("\($0)".contains("segmentation without a volume")) }
        let dup = try makeTempDir(self)
        try touch("\(dup)/a/volume-1.nii")
        try touch("\(dup)/b/volume-1.nii.gz")
        XCTAssertThrowsError(try Dataset.discover(dup)) { XCTAssertTrue("\($0)".contains("appears twice")) }
    }

    func testSingleVolumeFilePicksUpItsSegmentation() throws {
        let dir = try makeTempDir(self)
        try touch("\(dir)/volume-7.nii.gz")
        try touch("\(dir)/segmentation-7.nii.gz")
        let c = try Dataset.discover("\(dir)/volume-7.nii.gz")
        XCTAssertEqual(c.first?.segmentationPath, "\(dir)/segmentation-7.nii.gz")
        XCTAssertThrowsError(try Dataset.discover([dir, "\(dir)/volume-7.nii.gz"]), "same case twice")
    }
}
