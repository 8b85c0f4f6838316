import Foundation
import XCTest
@testable import LiTSImaging

/// scipy.ndimage.distance_transform_edt defines the expected distances
/// (scripts/make_components_fixture.py wrote Fixtures/edt.json).
final class DistanceTransformTests: XCTestCase {
    func testMatchesScipy() throws {
        let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("edt.json")
        let doc = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        let cases = doc["cases"] as! [[String: Any]]
        XCTAssertEqual(cases.count, 2)
        for c in cases {
            let shape = c["shape"] as! [Int], spacing = c["sampling"] as! [Double]
            let mask = (c["mask"] as! [Int]).map { $0 != 0 }
            let expected = c["distance"] as! [Double]
            let d = DistanceTransform.edt(shape: shape, spacing: spacing, mask: mask)
            XCTAssertEqual(d.count, expected.count)
            let maxDiff = zip(d, expected).map { abs(Double($0) - $1) }.max() ?? 0
            XCTAssertLessThan(maxDiff, 1e-4, "\(c["name"]!)")
            XCTAssertTrue(zip(d, mask).allSatisfy { $1 || $0 == 0 }, "background is 0")
        }
    }

    /// Random masks against the brute-force minimum over all background voxels.
    func testRandomMasksAgainstBruteForce() {
        var rng = SplitMix64(seed: 7)
        for trial in 0..<20 {
            let shape = [1 + Int(rng.next() % 11), 1 + Int(rng.next() % 8), 1 + Int(rng.next() % 6)]
            let spacing = (0..<3).map { _ in 0.5 + Double(rng.next() % 100) / 40 }
            let density = [0.02, 0.1, 0.5, 0.9][trial % 4]
            let n = shape.reduce(1, *)
            var mask = (0..<n).map { _ in Double(rng.next() % 1000) / 1000 >= density }
            if !mask.contains(false) { mask[Int(rng.next() % UInt64(n))] = false }
            let d = DistanceTransform.edt(shape: shape, spacing: spacing, mask: mask)
            let bg = (0..<n).filter { !mask[$0] }.map { q in (q % shape[0], (q / shape[0]) % shape[1], q / (shape[0] * shape[1])) }
            for p in 0..<n {
                let (i, j, k) = (p % shape[0], (p / shape[0]) % shape[1], p / (shape[0] * shape[1]))
                var best = Double.infinity
                for (a, b, c) in bg {
                    let x = Double(i - a) * spacing[0], y = Double(j - b) * spacing[1], z = Double(k - c) * spacing[2]
                    best = min(best, x * x + y * y + z * z)
                }
                XCTAssertEqual(Double(d[p]), best.squareRoot(), accuracy: 1e-4, "trial \(trial) shape \(shape) voxel \(p)")
            }
        }
    }

    func testEdgeCases() {
        // No background at all: infinity everywhere (scipy returns distances to an imaginary voxel at (-1, 0, 0)).
        XCTAssertTrue(DistanceTransform.edt(shape: [4, 3, 2], spacing: [1, 1, 1], mask: [Bool](repeating: true, count: 24)).allSatisfy { $0 == .infinity })
        // All background: zeros.
        XCTAssertEqual(DistanceTransform.edt(shape: [4, 3, 2], spacing: [1, 2, 3], mask: [Bool](repeating: false, count: 24)), [Float](repeating: 0, count: 24))
        // One background voxel in a corner; a far corner's distance is the diagonal in mm.
        var mask = [Bool](repeating: true, count: 24)
        mask[0] = false
        let d = DistanceTransform.edt(shape: [4, 3, 2], spacing: [0.5, 2, 3], mask: mask)
        XCTAssertEqual(Double(d[23]), (1.5 * 1.5 + 4.0 * 4.0 + 3.0 * 3.0).squareRoot(), accuracy: 1e-5)
        // 1D and 2D shapes.
        XCTAssertEqual(DistanceTransform.edt(shape: [6], spacing: [2], mask: [true, true, false, true, true, true]), [4, 2, 0, 2, 4, 6])
        let d2 = DistanceTransform.edt(shape: [3, 2], spacing: [1, 1], mask: [false, true, true, true, true, true])
        XCTAssertEqual(d2.map { Double($0) }, [0, 1, 2, 1, 2.0.squareRoot(), 5.0.squareRoot()].map { $0 }, accuracy: 1e-6)
        XCTAssertEqual(DistanceTransform.edt(shape: [0, 3, 2], spacing: [1, 1, 1], mask: []), [])
    }
}

private func XCTAssertEqual(_ a: [Double], _ b: [Double], accuracy: Double, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, file: file, line: line)
    for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: accuracy, file: file, line: line) }
}
