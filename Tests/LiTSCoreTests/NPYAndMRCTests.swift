import XCTest
@testable import LiTSCore

final class NPYTests: XCTestCase {
    func testHeaderIsNumpyFormat1() throws {
        let h = NPY.header(dtype: .float32, shape: [3, 4, 5])
        XCTAssertEqual(h.count % 64, 0, "header is padded to a multiple of 64 bytes")
        XCTAssertEqual(Array(h.prefix(8)), [0x93] + Array("NUMPY".utf8) + [1, 0])
        let text = String(decoding: h.dropFirst(10), as: UTF8.self)
        XCTAssertTrue(text.hasPrefix("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4, 5), }"))
        XCTAssertTrue(text.hasSuffix("\n"))
    }

    func testRoundTripVolumeIsZYXCOrder() throws {
        let dir = try makeTempDir(self)
        let grid = Grid(shape: [4, 3, 2], spacing: [1, 1, 1])
        let v = Volume(grid: grid, voxels: (0..<24).map(Float.init))
        try NPY.write(v, to: "\(dir)/v.npy")
        let back = try NPY.read(path: "\(dir)/v.npy")
        XCTAssertEqual(back.shape, [2, 3, 4])
        XCTAssertEqual(back.dtype, .float32)
        XCTAssertEqual(back.floats(), v.voxels)
        let labels = LabelMap(grid: grid, voxels: (0..<24).map { UInt8($0 % 3) })
        try NPY.write(labels, to: "\(dir)/m.npy")
        XCTAssertEqual(try NPY.read(path: "\(dir)/m.npy").bytes(), labels.voxels)
    }

    func testRejectsTruncatedNPY() throws {
        let dir = try makeTempDir(self)
        try NPY.write(voxels: [Float](repeating: 1, count: 10), dtype: .float32, shape: [10], to: "\(dir)/a.npy")
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/a.npy"))
        try data.prefix(data.count - 3).write(to: URL(fileURLWithPath: "\(dir)/b.npy"))
        XCTAssertThrowsError(try NPY.read(path: "\(dir)/b.npy")) { error in
            XCTAssertEqual((error as? LiTSError)?.kind, .corrupt)
        }
    }
}

final class MRCTests: XCTestCase {
    func testReadsFixturesInFileOrder() throws {
        let expected = try loadJSON("mrc/expected.json")
        for name in ["tiny_img.mrc", "tiny_lab.mrc"] {
            let e = expected[name] as! [String: Any]
            let (shape, voxels) = try MRC.read(path: fixturePath("mrc/\(name)"))
            XCTAssertEqual(shape, e["shape"] as! [Int], name)
            XCTAssertEqual(voxels.map(Double.init), e["data"] as! [Double], name)
        }
    }

    func testZYXOrderReversesAxes() throws {
        let (shape, voxels) = try MRC.read(path: fixturePath("mrc/tiny_img.mrc"))
        let (nshape, nvox) = MRC.toNIfTIOrder(shape: shape, voxels: voxels, order: .zyx)
        XCTAssertEqual(nshape, [shape[2], shape[1], shape[0]])
        // NIfTI voxel (i, j, k) is MRC (x = k, y = j, z = i).
        let (i, j, k) = (2, 3, 4)
        XCTAssertEqual(nvox[i + nshape[0] * (j + nshape[1] * k)], voxels[k + shape[0] * (j + shape[1] * i)])
    }

    func testRejectsTruncatedAndUnknownMode() throws {
        let dir = try makeTempDir(self)
        let data = try Data(contentsOf: URL(fileURLWithPath: fixturePath("mrc/tiny_img.mrc")))
        try data.prefix(1100).write(to: URL(fileURLWithPath: "\(dir)/short.mrc"))
        XCTAssertThrowsError(try MRC.read(path: "\(dir)/short.mrc")) { XCTAssertEqual(($0 as? LiTSError)?.kind, .corrupt) }
        var bad = [UInt8](data)
        bad[12] = 9
        try Data(bad).write(to: URL(fileURLWithPath: "\(dir)/mode9.mrc"))
        XCTAssertThrowsError(try MRC.read(path: "\(dir)/mode9.mrc")) { XCTAssertEqual(($0 as? LiTSError)?.kind, .unsupported) }
    }
}
