import CNIfTI
import Foundation
import XCTest
@testable import LiTSCore

/// The gzip fast path (libdeflate, `GzipWhole`) against zlib's streaming path and against
/// nibabel: `gzip/multimember.nii.gz` was written by our writer in 16 KiB members and
/// `gzip/nibabel_view.json` holds what nibabel, Python's zlib, `gzip -t` and SimpleITK read from
/// it (scripts/make_gzip_fixture.py).
final class GzipWholeTests: XCTestCase {
    static let memberBytes = 16 << 10

    /// A smooth int16 CT-like ramp with some noise-free structure (compresses, but not to nothing).
    static func volume() -> Volume<Int16> {
        let affine = Affine(rows: [[-0.7, 0, 0, 120], [0, -0.7, 0, 95], [0, 0, 2.5, -300], [0, 0, 0, 1]])
        let grid = Grid(shape: [40, 32, 24], spacing: [0.7, 0.7, 2.5], affine: affine)
        var v = Volume<Int16>(grid: grid, repeating: 0)
        for k in 0..<24 { for j in 0..<32 { for i in 0..<40 {
            v[i, j, k] = Int16((i * 37 + j * j * 3 + k * 101) % 1500) - 1000
        } } }
        return v
    }

    func testOurMultiMemberFileMatchesTheFixtureAndNibabel() throws {
        let dir = try makeTempDir(self)
        let path = dir + "/multimember.nii.gz"
        let v = GzipWholeTests.volume()
        try NIfTIWriter.write(v, to: path, format: .nifti1, sformCode: 1, qformCode: 1, description: "LiTSKit",
                              gzipMemberBytes: GzipWholeTests.memberBytes)
        let ours = try Data(contentsOf: URL(fileURLWithPath: path))
        if let export = ProcessInfo.processInfo.environment["LITSKIT_EXPORT_GZIP"] { try ours.write(to: URL(fileURLWithPath: export)) }
        let fixture = fixturePath("gzip/multimember.nii.gz")
        if Libdeflate.shared != nil {
            // Byte for byte only with libdeflate (zlib's single member differs); a newer
            // libdeflate may compress differently: then rerun the fixture script.
            XCTAssertEqual(ours, try Data(contentsOf: URL(fileURLWithPath: fixture)), "rerun scripts/make_gzip_fixture.py")
        }
        let view = try loadJSON("gzip/nibabel_view.json")
        XCTAssertEqual(view["shape"] as? [Int], v.shape)
        XCTAssertEqual(view["dtype"] as? String, "int16")
        XCTAssertEqual(view["members"] as? Int, 5, "a header member and 4 of 16 KiB voxels")
        XCTAssertEqual(view["gzip_t"] as? Bool, true)
        XCTAssertEqual(view["zlib_equal"] as? Bool, true)
        if let sitk = view["simpleitk_equal"] as? Bool { XCTAssertTrue(sitk) }
        XCTAssertEqual(view["sum"] as? Int, v.voxels.reduce(0) { $0 + Int($1) })
        XCTAssertEqual(view["value_at_7_5_3"] as? Int, Int(v[7, 5, 3]))
        assertClose((view["affine"] as! [[Double]]).flatMap { $0 }, v.grid.affine.m, tol: 1e-6, "nibabel's affine")

        // Both our read paths decode both files (ours now and the committed one) to the volume.
        for file in [path, fixture] {
            let (read, _) = try NIfTIReader.readFloat(path: file)
            XCTAssertEqual(read.voxels, v.voxels.map { Float($0) }, file)
            let header = try NIfTIHeader.read(path: file)
            let (streamed, extra) = try NIfTIReader.readVoxels(path: file, header: header, whole: false)
            XCTAssertEqual(streamed, read.voxels, "zlib's streaming path agrees")
            XCTAssertEqual(extra, 0)
        }
    }

    /// Every type through the fast writer and reader, against zlib's reading of the same file.
    func testEveryTypeAgreesWithZlib() throws {
        let dir = try makeTempDir(self)
        let grid = Grid(shape: [33, 17, 9], spacing: [1, 1, 2], affine: Affine(rows: [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 2, 0], [0, 0, 0, 1]]))
        let values = (0..<grid.count).map { Float(($0 * 7919) % 300) - 50 }
        func check<T: NIfTIScalar>(_ v: Volume<T>, _ name: String) throws {
            let path = "\(dir)/\(name).nii.gz"
            try NIfTIWriter.write(v, to: path, format: .nifti1, sformCode: 1, qformCode: 1, description: "x", gzipMemberBytes: 1000)
            let (fast, _) = try NIfTIReader.readFloat(path: path)
            let header = try NIfTIHeader.read(path: path)
            let (slow, _) = try NIfTIReader.readVoxels(path: path, header: header, whole: false)
            XCTAssertEqual(fast.voxels, slow, name)
        }
        try check(Volume(grid: grid, voxels: values), "f32")
        try check(Volume(grid: grid, voxels: values.map { Double($0) }), "f64")
        try check(Volume(grid: grid, voxels: values.map { Int16($0) }), "i16")
        try check(Volume(grid: grid, voxels: values.map { Int32($0) }), "i32")
        try check(Volume(grid: grid, voxels: values.map { UInt8(max(0, min(255, $0))) }), "u8")
        // Label maps take their own path (integers straight to UInt8, through a temporary buffer).
        let labels = LabelMap(grid: grid, voxels: (0..<grid.count).map { UInt8(($0 / 7) % 3) })
        try NIfTIWriter.write(labels, to: dir + "/seg.nii.gz", format: .nifti1, sformCode: 1, qformCode: 1,
                              description: "x", gzipMemberBytes: 1000)
        XCTAssertEqual(try NIfTIReader.readLabels(path: dir + "/seg.nii.gz").0.voxels, labels.voxels)
        try NIfTIWriter.write(Volume(grid: grid, voxels: labels.voxels.map { Int16($0) }), to: dir + "/seg16.nii.gz")
        XCTAssertEqual(try NIfTIReader.readLabels(path: dir + "/seg16.nii.gz").0.voxels, labels.voxels)
    }

    /// A stream cut short or damaged keeps zlib's exact message, whichever path ran first.
    func testTruncatedAndCorruptStreamsKeepTheirMessages() throws {
        let dir = try makeTempDir(self)
        let path = dir + "/v.nii.gz"
        try NIfTIWriter.write(GzipWholeTests.volume(), to: path, format: .nifti1, sformCode: 1, qformCode: 1,
                              description: "x", gzipMemberBytes: GzipWholeTests.memberBytes)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let header = try NIfTIHeader.read(path: path)
        for (name, damaged) in [("cut", bytes.prefix(bytes.count * 2 / 3)),
                                ("flip", { var d = bytes; d[d.count / 2] ^= 0x55; return d }())] {
            let bad = "\(dir)/\(name).nii.gz"
            try damaged.write(to: URL(fileURLWithPath: bad))
            func message(_ f: () throws -> Any) -> String {
                do { _ = try f(); return "no error" } catch { return "\(error)" }
            }
            let fast = message { try NIfTIReader.readVoxels(path: bad, header: header) }
            let slow = message { try NIfTIReader.readVoxels(path: bad, header: header, whole: false) }
            XCTAssertEqual(fast, slow, name)
            if name == "cut" { XCTAssertTrue(fast.contains("truncated or corrupt gzip stream:"), fast) }
        }
    }

    /// Bytes after the voxels in a gzip stream are still counted (zlib's path) and not refused.
    func testExtraBytesAfterTheVoxelsAreCounted() throws {
        let dir = try makeTempDir(self)
        let path = dir + "/v.nii.gz"
        let v = GzipWholeTests.volume()
        try NIfTIWriter.write(v, to: path, format: .nifti1, sformCode: 1, qformCode: 1, description: "x", gzipMemberBytes: 1 << 20)
        let extraMember = dir + "/extra.nii.gz"
        // An extra gzip member of 10 bytes appended: a multi-member file 10 bytes too long.
        let member = try GzipWholeTests.gzip(Data(repeating: 7, count: 10), dir: dir)
        try (try Data(contentsOf: URL(fileURLWithPath: path)) + member).write(to: URL(fileURLWithPath: extraMember))
        let header = try NIfTIHeader.read(path: extraMember)
        let (voxels, extra) = try NIfTIReader.readVoxels(path: extraMember, header: header)
        XCTAssertEqual(extra, 10)
        XCTAssertEqual(voxels, v.voxels.map { Float($0) })
    }

    /// One gzip member holding `data`, written by our writer's gzip path (a NIfTI file's bytes
    /// are not needed: `GzipWhole.compress` takes any parts; zlib's znz layer where it is missing).
    static func gzip(_ data: Data, dir: String) throws -> Data {
        let path = dir + "/member.gz"
        let done = try data.withUnsafeBytes { try GzipWhole.compress([$0], to: path, finalPath: path) }
        if !done {
            guard let fp = znzopen(path, "wb", 1) else { throw LiTSError(.notWritable, path: path, "znzopen") }
            var f: znzFile? = fp
            _ = data.withUnsafeBytes { znzwrite($0.baseAddress, 1, $0.count, fp) }
            _ = Xznzclose(&f)
        }
        return try Data(contentsOf: URL(fileURLWithPath: path))
    }
}
