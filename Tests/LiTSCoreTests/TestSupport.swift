import Foundation
import XCTest
@testable import LiTSCore

/// A fresh temporary folder, removed when the test ends.
func makeTempDir(_ test: XCTestCase) throws -> String {
    let dir = NSTemporaryDirectory() + "litskit-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
    return dir
}

func fixturePath(_ relative: String) -> String {
    Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent(relative).path
}

func loadJSON(_ relative: String) throws -> [String: Any] {
    let data = try Data(contentsOf: URL(fileURLWithPath: fixturePath(relative)))
    return try JSONSerialization.jsonObject(with: data) as! [String: Any]
}

/// A small phantom: an ellipsoidal "liver" (HU 60) with a spherical "tumor" (HU 20) in soft tissue (HU 0)
/// surrounded by air (-1000).
func phantom(shape: [Int] = [24, 20, 16], affine: Affine = .diagonal(spacing: [-1.5, -1.5, 2.5])) -> (Volume<Float>, LabelMap) {
    let spacing = affine.columnNorms
    let grid = Grid(shape: shape, spacing: spacing, affine: affine)
    var ct = Volume<Float>(grid: grid, repeating: -1000)
    var labels = LabelMap(grid: grid, repeating: 0)
    let c = shape.map { Double($0) / 2 }
    for k in 0..<shape[2] {
        for j in 0..<shape[1] {
            for i in 0..<shape[0] {
                let x = (Double(i) - c[0]) / c[0], y = (Double(j) - c[1]) / c[1], z = (Double(k) - c[2]) / c[2]
                let r2 = x * x + y * y + z * z
                if r2 < 0.9 { ct[i, j, k] = 0 }
                let lx = (Double(i) - c[0] * 0.8) / (c[0] * 0.5), ly = y / 0.6, lz = z / 0.7
                if lx * lx + ly * ly + lz * lz < 1 { ct[i, j, k] = 60; labels[i, j, k] = 1 }
                let tx = Double(i) - c[0] * 0.8, ty = Double(j) - c[1], tz = Double(k) - c[2]
                if tx * tx + ty * ty + tz * tz < 4 { ct[i, j, k] = 20; labels[i, j, k] = 2 }
            }
        }
    }
    return (ct, labels)
}

func assertClose(_ a: [Double], _ b: [Double], tol: Double, _ message: String, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, "\(message): count", file: file, line: line)
    for (n, (x, y)) in zip(a, b).enumerated() where abs(x - y) > tol * max(1, abs(y)) {
        XCTFail("\(message): element \(n) is \(x), expected \(y)", file: file, line: line)
        return
    }
}

/// Overwrites `bytes` of the file at `offset` (a header field, for hostile-input tests).
func patch(_ path: String, at offset: Int, _ bytes: [UInt8]) throws {
    var data = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    data.replaceSubrange(offset..<(offset + bytes.count), with: bytes)
    try Data(data).write(to: URL(fileURLWithPath: path))
}

/// `body` throws one LiTSError of `kind` naming `path`, on one line, that mentions `text`.
func expectError(_ kind: LiTSError.Kind, path: String, containing text: String,
                 file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void) {
    XCTAssertThrowsError(try body(), file: file, line: line) { error in
        guard let e = error as? LiTSError else { return XCTFail("not a LiTSError: \(error)", file: file, line: line) }
        XCTAssertEqual(e.kind, kind, "\(e)", file: file, line: line)
        XCTAssertEqual(e.path, path, file: file, line: line)
        XCTAssertTrue(e.description.contains(text), "\(e) should mention '\(text)'", file: file, line: line)
        XCTAssertFalse(e.description.contains("\n"), "one line", file: file, line: line)
    }
}
