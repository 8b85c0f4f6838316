import Foundation
import XCTest
@testable import LiTSAnalysis

/// numpy defines the expected values (scripts/make_percentile_fixture.py).
final class IntensityTests: XCTestCase {
    struct Sample { var values: [Float]; var mean, std, min, max: Double; var percentiles: [Double] }

    func samples() throws -> [String: Sample] {
        let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("percentiles.json")
        let doc = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        let s = doc["samples"] as! [String: [String: Any]]
        return s.mapValues { d in
            Sample(values: (d["values"] as! [Double]).map { Float($0) }, mean: d["mean"] as! Double, std: d["std"] as! Double,
                   min: d["min"] as! Double, max: d["max"] as! Double, percentiles: d["percentiles"] as! [Double])
        }
    }

    func testExactStatisticsMatchNumpy() throws {
        for (name, s) in try samples() {
            var h = HUHistogram()
            for v in s.values { h.add(v) }
            let stats = try XCTUnwrap(IntensityStats(histogram: h) { bins in s.values.filter { bins.contains(HUHistogram.bin(of: $0)) } })
            XCTAssertEqual(stats.method, "exact", name)
            XCTAssertEqual(stats.mean, s.mean, accuracy: 1e-6 * max(1, abs(s.mean)), name)
            XCTAssertEqual(stats.std, s.std, accuracy: 1e-6 * max(1, s.std), name)
            XCTAssertEqual(stats.min, s.min, name)
            XCTAssertEqual(stats.max, s.max, name)
            for (p, expected) in zip(IntensityStats.percentileLevels, s.percentiles) {
                XCTAssertEqual(stats.percentile(p)!, expected, accuracy: 0.01, "\(name) p\(p)")
            }
        }
    }

    func testHistogramAloneIsExactForWholeNumbersAndWithinOneHUOtherwise() throws {
        let all = try samples()
        let integer = all["integer_liver"]!
        var h = HUHistogram()
        for v in integer.values { h.add(v) }
        XCTAssertTrue(h.integerValued)
        for (p, expected) in zip(IntensityStats.percentileLevels, integer.percentiles) {
            XCTAssertEqual(h.percentile(p), expected, accuracy: 1e-9, "p\(p)")
        }
        let fractional = all["fractional_tumor"]!
        var f = HUHistogram()
        for v in fractional.values { f.add(v) }
        XCTAssertEqual(IntensityStats(histogram: f)?.method, "1-HU bins")
        for (p, expected) in zip(IntensityStats.percentileLevels, fractional.percentiles) {
            XCTAssertEqual(f.percentile(p), expected, accuracy: 1.0, "p\(p)")
        }
    }

    func testMergedHistogramsEqualOneHistogram() throws {
        let values = try samples()["mixture_with_outliers"]!.values
        var whole = HUHistogram(), a = HUHistogram(), b = HUHistogram()
        for (n, v) in values.enumerated() { whole.add(v); if n % 3 == 0 { a.add(v) } else { b.add(v) } }
        a.merge(b)
        XCTAssertEqual(a.counts, whole.counts)
        XCTAssertEqual(a.count, whole.count)
        XCTAssertEqual(a.minimum, whole.minimum)
        XCTAssertEqual(a.outOfRange, 3, "-3500.25, 4096 and 5000.5 lie outside the bins [-3072, 4096)")
        XCTAssertEqual(a.mean, whole.mean, accuracy: 1e-9)
        // Codable round trip keeps every count.
        let back = try JSONDecoder().decode(HUHistogram.self, from: JSONEncoder().encode(whole))
        XCTAssertEqual(back, whole)
    }
}
