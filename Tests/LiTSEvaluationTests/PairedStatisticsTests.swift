import Foundation
import LiTSCore
import XCTest
@testable import LiTSEvaluation

/// `lits evaluate --compare`'s statistics against scripts/make_compare_fixture.py's values
/// (Fixtures/compare/paired_statistics.json): the Wilcoxon signed-rank p of scipy.stats.wilcoxon
/// with its defaults, over small and larger n with and without ties and zero differences, and
/// the seeded percentile bootstrap repeated in Python.
final class PairedStatisticsTests: XCTestCase {
    struct Fixture: Decodable {
        struct Case: Decodable {
            var name: String
            var reference: [Double], other: [Double]
            var wilcoxon_p: Double?
            var method: String
            var mean: Double, bootstrap_low: Double, bootstrap_high: Double
        }
        var seed: UInt64
        var resamples: Int
        var cases: [Case]
    }

    func fixture() throws -> Fixture {
        let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("compare/paired_statistics.json")
        return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }

    func testWilcoxonMatchesScipy() throws {
        let f = try fixture()
        XCTAssertGreaterThanOrEqual(f.cases.count, 15)
        var methods: Set<String> = []
        for c in f.cases {
            let d = zip(c.reference, c.other).map { $1 - $0 }
            let w = PairedStatistics.wilcoxon(d)
            XCTAssertEqual(w?.method.rawValue ?? "asymptotic", c.method, c.name)
            methods.insert(c.method)
            guard let expected = c.wilcoxon_p else { XCTAssertNil(w, c.name); continue }
            guard let p = w?.p else { XCTFail("\(c.name): no p, scipy gives \(expected)"); continue }
            XCTAssertEqual(p, expected, accuracy: 1e-12 + 1e-9 * expected, c.name)
        }
        XCTAssertEqual(methods, ["exact", "permutation", "asymptotic"])
    }

    func testBootstrapIntervalMatchesTheDocumentedAlgorithm() throws {
        let f = try fixture()
        XCTAssertEqual(f.seed, PairedStatistics.seed)
        XCTAssertEqual(f.resamples, PairedStatistics.resamples)
        for c in f.cases {
            let d = zip(c.reference, c.other).map { $1 - $0 }
            let s = PairedStatistics.summary(d)
            XCTAssertEqual(s.n, d.count)
            XCTAssertEqual(s.mean!, c.mean, accuracy: 1e-15, c.name)
            XCTAssertEqual(s.low!, c.bootstrap_low, accuracy: 1e-12, c.name)
            XCTAssertEqual(s.high!, c.bootstrap_high, accuracy: 1e-12, c.name)
            XCTAssertLessThanOrEqual(s.low!, s.high!, c.name)
        }
    }

    /// The same numbers twice (its own seeded generator), and nothing for no pairs.
    func testDeterministicAndEmpty() {
        let d = [0.1, -0.05, 0.2, 0.0, 0.15, -0.3, 0.07]
        XCTAssertEqual(PairedStatistics.summary(d), PairedStatistics.summary(d))
        XCTAssertEqual(PairedStatistics.summary([]), PairedStatistics.Summary(n: 0))
        var rng = SeededGenerator(seed: 0)
        // SplitMix64's first outputs for seed 0 (the reference implementation's).
        XCTAssertEqual(rng.next(), 0xE220_A839_7B1D_CDAF)
        XCTAssertEqual(rng.next(), 0x6E78_9E6A_A1B9_65F4)
    }
}
