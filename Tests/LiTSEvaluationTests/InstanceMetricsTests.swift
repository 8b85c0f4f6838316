import Foundation
import XCTest
import LiTSImaging
@testable import LiTSEvaluation

/// Instance metrics against panoptica (scripts/make_panoptica_fixtures.py wrote
/// Fixtures/panoptica_instances.json): counts equal, RQ/SQ/PQ to 1e-12.
final class InstanceMetricsTests: XCTestCase {
    func testEqualsPanoptica() throws {
        let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("panoptica_instances.json")
        let doc = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        let cases = doc["cases"] as! [[String: Any]]
        XCTAssertEqual(cases.count, 8)
        var all: [InstanceMetrics] = []
        var iouSum = 0.0
        for c in cases {
            let name = c["name"] as! String, shape = c["shape"] as! [Int]
            let n = shape.reduce(1, *)
            let p = ConnectedComponents.label(shape: shape, mask: fixtureMask(c["pred"] as! [Int], count: n), connectivity: .twentySix)
            let t = ConnectedComponents.label(shape: shape, mask: fixtureMask(c["truth"] as! [Int], count: n), connectivity: .twentySix)
            let m = InstanceMetrics(prediction: p, reference: t)
            let e = c["expected"] as! [String: Any]
            all.append(m)
            iouSum += (e["sq"] as? Double ?? 0) * (e["tp"] as! Double)
            XCTAssertEqual(Double(m.tp), e["tp"] as? Double, name)
            XCTAssertEqual(Double(m.fp), e["fp"] as? Double, name)
            XCTAssertEqual(Double(m.fn), e["fn"] as? Double, name)
            for (key, ours) in [("rq", m.rq), ("sq", m.sq), ("pq", m.pq), ("sq_dsc", m.sqDice), ("pq_dsc", m.pqDice)] {
                if e[key] is NSNull { XCTAssertNil(ours, "\(name) \(key)"); continue }
                let theirs = try XCTUnwrap(e[key] as? Double), value = try XCTUnwrap(ours, "\(name) \(key)")
                XCTAssertEqual(value, theirs, accuracy: 1e-12, "\(name) \(key)")
            }
        }
        // Pooled over the cases (the report's dataset row): sums of TP, FP, FN; SQ over all matches.
        let pooled = try XCTUnwrap(EvaluationSummary.pooled(all))
        XCTAssertEqual([pooled.tp, pooled.fp, pooled.fn], [6, 7, 10])
        XCTAssertEqual(pooled.rq!, 6 / (6 + 3.5 + 5), accuracy: 1e-12)
        XCTAssertEqual(pooled.sq!, iouSum / 6, accuracy: 1e-12)
        XCTAssertEqual(pooled.pq!, pooled.sq! * pooled.rq!, accuracy: 1e-15)
    }
}
