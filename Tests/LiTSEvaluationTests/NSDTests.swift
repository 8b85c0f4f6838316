import Foundation
import XCTest
@testable import LiTSEvaluation

/// Normalized surface Dice against MONAI's `compute_surface_dice` (scripts/make_nsd_fixtures.py
/// wrote Fixtures/monai_nsd.json). MONAI returns float32: ours, rounded to float32, must be the
/// same number.
final class NSDTests: XCTestCase {
    func testEqualsMONAI() throws {
        let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("monai_nsd.json")
        let doc = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        let cases = doc["cases"] as! [[String: Any]]
        XCTAssertEqual(cases.count, 6)
        var checked = 0
        for c in cases {
            let name = c["name"] as! String
            let shape = c["shape"] as! [Int], spacing = c["spacing"] as! [Double]
            let n = shape.reduce(1, *)
            let pred = fixtureMask(c["pred"] as! [Int], count: n), truth = fixtureMask(c["truth"] as! [Int], count: n)
            for (key, value) in c["expected"] as! [String: Any] {
                let tolerance = Double(key)!
                let m = StructureMetrics(pred: pred, truth: truth, shape: shape, spacing: spacing, nsdTolerance: tolerance)
                if value is NSNull {
                    XCTAssertNil(m.nsd, "\(name) at \(key)")
                } else {
                    let ours = try XCTUnwrap(m.nsd, "\(name) at \(key)")
                    XCTAssertEqual(Float(ours), Float(value as! Double), "\(name) at \(key) mm: ours \(ours)")
                }
                checked += 1
            }
        }
        XCTAssertEqual(checked, 18)
    }
}
