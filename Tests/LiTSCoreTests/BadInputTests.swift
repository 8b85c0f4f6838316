import XCTest
@testable import LiTSCore

/// Every kind of bad input named in the foundation issue gets a LiTSError naming the file.
final class BadInputTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = try makeTempDir(self)
    }

    /// A valid LiTS case written by us; returns the volume and segmentation paths.
    func writeCase(_ id: Int, ext: String = "nii") throws -> (String, String) {
        let (ct, labels) = phantom(shape: [8, 6, 4])
        let v = "\(dir)/volume-\(id).\(ext)", s = "\(dir)/segmentation-\(id).\(ext)"
        try NIfTIWriter.write(ct.map { Int16($0) }, to: v)
        try NIfTIWriter.write(labels, to: s)
        return (v, s)
    }

    func testMissingPath() {
        expectError(.notFound, path: "\(dir)/none.nii", containing: "no such file") {
            _ = try NIfTIReader.readFloat(path: "\(dir)/none.nii")
        }
    }

    func testTruncatedNii() throws {
        let (v, _) = try writeCase(1)
        let data = try Data(contentsOf: URL(fileURLWithPath: v))
        try data.prefix(400).write(to: URL(fileURLWithPath: v))
        expectError(.corrupt, path: v, containing: "truncated") { _ = try NIfTIReader.readFloat(path: v) }
        try data.prefix(100).write(to: URL(fileURLWithPath: v))
        expectError(.corrupt, path: v, containing: "truncated header") { _ = try NIfTIReader.readFloat(path: v) }
    }

    func testCorruptGzip() throws {
        let (v, _) = try writeCase(2, ext: "nii.gz")
        let data = [UInt8](try Data(contentsOf: URL(fileURLWithPath: v)))
        // Cut the compressed stream short: the header inflates, the voxels do not.
        try Data(data.prefix(data.count / 2)).write(to: URL(fileURLWithPath: v))
        XCTAssertThrowsError(try NIfTIReader.readFloat(path: v)) { error in
            XCTAssertEqual((error as? LiTSError)?.path, v)
        }
        // Garbage with a gzip name.
        try Data((0..<500).map { UInt8($0 % 251) }).write(to: URL(fileURLWithPath: v))
        XCTAssertThrowsError(try NIfTIReader.readFloat(path: v)) { error in
            XCTAssertEqual((error as? LiTSError)?.path, v)
        }
    }

    func testDimensionsThatDoNotMatchTheFileOrOverflow() throws {
        let (v, _) = try writeCase(3)
        try patch(v, at: 42, [0x00, 0x02])  // dim[1] = 512 (little-endian int16)
        expectError(.corrupt, path: v, containing: "truncated") { _ = try NIfTIReader.readFloat(path: v) }
        try patch(v, at: 42, [0xff, 0x7f]); try patch(v, at: 44, [0xff, 0x7f]); try patch(v, at: 46, [0xff, 0x7f])
        try patch(v, at: 70, [64, 0])  // float64
        expectError(.invalidHeader, path: v, containing: "overflow") { _ = try NIfTIReader.readFloat(path: v) }
        try patch(v, at: 42, [0xfb, 0xff])  // dim[1] = -5
        expectError(.invalidHeader, path: v, containing: "dimension 1 is -5") { _ = try NIfTIReader.readFloat(path: v) }
    }

    func testZeroOrNegativeSpacing() throws {
        let (v, _) = try writeCase(4)
        try patch(v, at: 76 + 3 * 4, [0, 0, 0, 0])  // pixdim[3] = 0
        expectError(.invalidHeader, path: v, containing: "pixdim[3] is 0.0") { _ = try NIfTIReader.readFloat(path: v) }
        try patch(v, at: 76 + 1 * 4, [0, 0, 0x80, 0xbf])  // pixdim[1] = -1
        expectError(.invalidHeader, path: v, containing: "pixdim[1] is -1.0") { _ = try NIfTIReader.readFloat(path: v) }
    }

    func testSegmentationOnAnotherGrid() throws {
        let (v, s) = try writeCase(5)
        let other = LabelMap(grid: Grid(shape: [8, 6, 5], spacing: [1.5, 1.5, 2.5]), repeating: 0)
        try NIfTIWriter.write(other, to: s)
        let c = Case(id: "5", volumePath: v, segmentationPath: s, layout: .lits)
        expectError(.mismatch, path: s, containing: "does not match its volume volume-5.nii") { _ = try CaseLoader.load(c) }
    }

    func testLabelsOutsideTheLiTSSet() throws {
        let (v, s) = try writeCase(6)
        let (_, labels) = phantom(shape: [8, 6, 4])
        var bad = labels
        bad.voxels[3] = 3
        bad.voxels[4] = 7
        try NIfTIWriter.write(bad, to: s)
        let c = Case(id: "6", volumePath: v, segmentationPath: s, layout: .lits)
        expectError(.invalidValues, path: s, containing: "labels outside {0, 1, 2}") { _ = try CaseLoader.load(c) }
    }

    func testNaNAndInfiniteHU() throws {
        let (ct, _) = phantom(shape: [8, 6, 4])
        var bad = ct
        bad.voxels[10] = .nan
        bad.voxels[11] = .infinity
        let v = "\(dir)/volume-7.nii"
        try NIfTIWriter.write(bad, to: v)
        let c = Case(id: "7", volumePath: v, segmentationPath: nil, layout: .lits)
        expectError(.invalidValues, path: v, containing: "2 NaN or infinite CT values (first at voxel 2,1,0)") { _ = try CaseLoader.load(c) }
    }

    func testOutputFolderInsideInputOrNotWritable() throws {
        _ = try writeCase(8)
        expectError(.invalidArgument, path: "\(dir)/out", containing: "inside the input") {
            try OutputFolder.prepare("\(dir)/out", inputs: [dir], command: "lits preprocess")
        }
        expectError(.invalidArgument, path: dir, containing: "inside the input") {
            try OutputFolder.prepare(dir, inputs: [dir], command: "lits preprocess")
        }
        // /proc refuses new folders even to root, unlike a chmod'ed folder.
        expectError(.notWritable, path: "/proc/litskit-out", containing: "cannot create folder") {
            try OutputFolder.prepare("/proc/litskit-out", inputs: [dir], command: "lits preprocess")
        }
        let other = try makeTempDir(self)
        FileManager.default.createFile(atPath: "\(other)/precious.txt", contents: Data("keep".utf8))
        expectError(.notWritable, path: other, containing: "not empty") {
            try OutputFolder.prepare(other, inputs: [dir], command: "lits preprocess")
        }
    }
}

final class SymlinkTests: XCTestCase {
    /// Datasets are often assembled from symbolic links; sizes must be those of the targets.
    func testReadsThroughSymbolicLinks() throws {
        let dir = try makeTempDir(self)
        let (ct, _) = phantom(shape: [8, 6, 4])
        try NIfTIWriter.write(ct, to: "\(dir)/real.nii")
        try FileManager.default.createSymbolicLink(atPath: "\(dir)/volume-1.nii", withDestinationPath: "real.nii")
        let (v, _) = try NIfTIReader.readFloat(path: "\(dir)/volume-1.nii")
        XCTAssertEqual(v.voxels, ct.voxels)
    }
}
