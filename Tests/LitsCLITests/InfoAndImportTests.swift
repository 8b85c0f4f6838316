import Foundation
import XCTest
import LiTSCore

final class InfoCommandTests: XCTestCase {
    func testTableAndJSON() throws {
        let data = try makeTempDir(self)
        try writePhantomCase(dir: data, id: 4)
        try NIfTIWriter.write(Volume<Float>(grid: Grid(shape: [8, 8, 4], spacing: [1, 1, 2]), repeating: -5), to: data + "/volume-9.nii")
        let table = try runLits(["info", data])
        XCTAssertEqual(table.status, 0, table.stderr)
        let lines = table.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 3)
        XCTAssertTrue(lines[1].hasPrefix("4 "))
        XCTAssertTrue(lines[1].contains("40x32x20") && lines[1].contains("LPS") && lines[1].contains("int16"), String(lines[1]))
        XCTAssertTrue(lines[2].contains("no labels"))

        let json = try runLits(["info", "--json", data])
        let rows = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [[String: Any]]
        XCTAssertEqual(rows.count, 2)
        XCTAssertEqual(rows[0]["huMin"] as? Double, -1000)
        XCTAssertEqual(rows[0]["huMax"] as? Double, 80)
        let counts = rows[0]["labelCounts"] as! [String: Int]
        XCTAssertEqual(counts.values.reduce(0, +), 40 * 32 * 20)
        XCTAssertGreaterThan(counts["tumor"] ?? 0, 0)
        XCTAssertNil(rows[1]["labelCounts"])
    }

    func testBadPathsGiveOneLineErrors() throws {
        let empty = try makeTempDir(self)
        var r = try runLits(["info", empty + "/missing"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(errorLines(r), ["lits: error: \(empty)/missing: no such file or folder"])
        r = try runLits(["info", empty])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(errorLines(r).count, 1)
        XCTAssertTrue(r.stderr.contains("no cases found"))

        // A truncated file inside a dataset: listed, others still reported.
        try writePhantomCase(dir: empty, id: 1, ext: "nii")
        try writePhantomCase(dir: empty, id: 2, ext: "nii")
        let v2 = empty + "/volume-2.nii"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: v2))
        try bytes.prefix(1000).write(to: URL(fileURLWithPath: v2))
        r = try runLits(["info", empty])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stdout.contains("40x32x20"), "case 1 still reported")
        XCTAssertTrue(errorLines(r).contains { $0.hasPrefix("lits: error: \(v2): file is truncated") }, r.stderr)
    }
}

final class ImportMRCCommandTests: XCTestCase {

    func testImportsTheSampleLayout() throws {
        let dir = try makeTempDir(self)
        // MRC x (fastest) is the slice axis in the sample: value = 100 * x + 10 * y + z.
        let (nx, ny, nz) = (4, 3, 2)
        var hu: [Float] = [], lab: [Float] = []
        for z in 0..<nz { for y in 0..<ny { for x in 0..<nx { hu.append(Float(100 * x + 10 * y + z)); lab.append(Float(x % 3)) } } }
        try writeMRC(dir + "/img.mrc", shape: [Int32(nx), Int32(ny), Int32(nz)], mode: 2, values: hu)
        try writeMRC(dir + "/lab.mrc", shape: [Int32(nx), Int32(ny), Int32(nz)], mode: 6, values: lab)
        let r = try runLits(["import-mrc", "--image", dir + "/img.mrc", "--labels", dir + "/lab.mrc", "--id", "117", "--out", dir + "/sample"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let (v, source) = try NIfTIReader.readFloat(path: dir + "/sample/volume-117.nii.gz")
        XCTAssertEqual(v.shape, [nz, ny, nx])
        XCTAssertEqual(source.grid.axisCodes, "LPS")
        XCTAssertEqual(source.grid.spacing, [1.5, 1.5, 1.5])
        XCTAssertEqual(v[1, 2, 3], 100 * 3 + 10 * 2 + 1, "NIfTI (i, j, k) = MRC (z, y, x)")
        let (seg, _) = try NIfTIReader.readFloat(path: dir + "/sample/segmentation-117.nii.gz")
        XCTAssertEqual(seg[0, 0, 2], 2)

        let bad = try runLits(["import-mrc", "--image", dir + "/nope.mrc", "--id", "1", "--out", dir + "/x"])
        XCTAssertEqual(bad.status, 1)
        XCTAssertEqual(errorLines(bad), ["lits: error: \(dir)/nope.mrc: no such file or not readable"])
    }
}

/// A tiny MRC file: 1024-byte header (nx, ny, nz, mode), then voxels with x fastest.
func writeMRC(_ path: String, shape: [Int32], mode: Int32, values: [Float]) throws {
    var header = [UInt8](repeating: 0, count: 1024)
    for (n, v) in (shape + [mode]).enumerated() {
        withUnsafeBytes(of: v.littleEndian) { header.replaceSubrange((4 * n)..<(4 * n + 4), with: $0) }
    }
    var body = Data()
    for v in values {
        if mode == 2 { withUnsafeBytes(of: v.bitPattern.littleEndian) { body.append(contentsOf: $0) } }
        else { withUnsafeBytes(of: UInt16(v).littleEndian) { body.append(contentsOf: $0) } }
    }
    try (Data(header) + body).write(to: URL(fileURLWithPath: path))
}
