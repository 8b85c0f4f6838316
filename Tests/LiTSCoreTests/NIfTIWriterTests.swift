import XCTest
@testable import LiTSCore

final class NIfTIWriterTests: XCTestCase {
    func testRoundTripEveryWrittenTypeAndFormat() throws {
        let dir = try makeTempDir(self)
        let affine = Affine(rows: [[-0.8, 0.1, 0, 120], [0, -0.8, 0.05, 90], [0, 0, 2.5, -300], [0, 0, 0, 1]])
        let grid = Grid(shape: [7, 5, 3], spacing: affine.columnNorms, affine: affine)
        let values = (0..<grid.count).map { Float($0 % 50) - 10 }
        for ext in ["nii", "nii.gz"] {
            for format in [NIfTIFormat.nifti1, .nifti2] {
                let tag = "\(ext)-\(format)"
                try NIfTIWriter.write(Volume(grid: grid, voxels: values), to: "\(dir)/f32-\(tag).\(ext)", format: format)
                try NIfTIWriter.write(Volume(grid: grid, voxels: values.map { Int16($0) }), to: "\(dir)/i16-\(tag).\(ext)", format: format)
                try NIfTIWriter.write(Volume(grid: grid, voxels: values.map { UInt8(max(0, $0)) }), to: "\(dir)/u8-\(tag).\(ext)", format: format)
                for (prefix, expect) in [("f32", values), ("i16", values), ("u8", values.map { max(0, $0) })] {
                    let (v, source) = try NIfTIReader.readFloat(path: "\(dir)/\(prefix)-\(tag).\(ext)")
                    XCTAssertEqual(v.voxels, expect, "\(prefix) \(tag)")
                    XCTAssertEqual(v.shape, grid.shape)
                    XCTAssertEqual(source.header.version, format == .nifti1 ? 1 : 2)
                    // NIfTI-1 stores the sform as float32.
                    assertClose(v.grid.affine.m, affine.m, tol: format == .nifti1 ? 1e-6 : 1e-12, "\(prefix) \(tag) affine")
                }
            }
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix(".") }
        XCTAssertEqual(leftovers, [], "no temporary files are left behind")
    }

    func testFailedWriteLeavesNothing() throws {
        let dir = try makeTempDir(self)
        let v = Volume<Float>(grid: Grid(shape: [2, 2, 2], spacing: [1, 1, 1]), repeating: 0)
        XCTAssertThrowsError(try NIfTIWriter.write(v, to: "\(dir)/missing-folder/out.nii.gz"))
        XCTAssertThrowsError(try NIfTIWriter.write(v, to: "\(dir)/out.img"))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), [])
    }
}
