import Foundation
import XCTest
@testable import LiTSCore

/// What LiTSKit writes, nibabel reads: `roundtrip/prediction.nii` was written by this writer (the
/// way `lits predict` writes a segmentation) and `roundtrip/nibabel_view.json` holds what nibabel
/// 5.4.2 read from it (scripts/make_roundtrip_fixture.py). Writing the same volume again must give
/// the same bytes, so the nibabel check keeps holding.
final class NibabelRoundTripTests: XCTestCase {
    static func prediction() -> LabelMap {
        let affine = Affine(rows: [[-0.75, 0, 0, 180.5], [0, -0.75, 0, 160.25], [0, 0, 2.5, -410], [0, 0, 0, 1]])
        var v = LabelMap(grid: Grid(shape: [12, 10, 6], spacing: [0.75, 0.75, 2.5], affine: affine), repeating: 0)
        for k in 1..<5 { for j in 2..<8 { for i in 1..<9 { v[i, j, k] = 1 } } }
        for k in 2..<4 { for j in 3..<5 { for i in 2..<4 { v[i, j, k] = 2 } } }
        return v
    }

    func testOurFileIsStableAndNibabelReadsIt() throws {
        let dir = try makeTempDir(self)
        try NIfTIWriter.write(NibabelRoundTripTests.prediction(), to: dir + "/prediction.nii", description: "LiTSKit predict")
        let ours = try Data(contentsOf: URL(fileURLWithPath: dir + "/prediction.nii"))
        if let export = ProcessInfo.processInfo.environment["LITSKIT_EXPORT_ROUNDTRIP"] { try ours.write(to: URL(fileURLWithPath: export)) }
        let committed = try Data(contentsOf: URL(fileURLWithPath: fixturePath("roundtrip/prediction.nii")))
        XCTAssertEqual(ours, committed, "the writer's bytes changed: rerun scripts/make_roundtrip_fixture.py")

        let view = try loadJSON("roundtrip/nibabel_view.json")
        let p = NibabelRoundTripTests.prediction()
        XCTAssertEqual(view["shape"] as? [Int], p.shape)
        XCTAssertEqual(view["dtype"] as? String, "uint8")
        assertClose((view["affine"] as! [[Double]]).flatMap { $0 }, p.grid.affine.m, tol: 1e-6, "nibabel's affine")
        XCTAssertEqual(view["axcodes"] as? [String], ["L", "P", "S"])
        let counts = view["label_counts"] as! [String: Int]
        let n = p.labelCounts()
        XCTAssertEqual(counts["0"], n[0]); XCTAssertEqual(counts["1"], n[1]); XCTAssertEqual(counts["2"], n[2])
        XCTAssertEqual(view["value_at_2_3_2"] as? Int, 2)
        XCTAssertEqual(view["resaved_equal"] as? Bool, true, "nibabel re-saves it unchanged")
    }
}
