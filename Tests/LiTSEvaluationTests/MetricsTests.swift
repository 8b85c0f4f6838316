import Foundation
import XCTest
@testable import LiTSEvaluation

/// medpy 0.5.2 defines the expected overlap and surface metrics
/// (scripts/make_metric_fixtures.py wrote Fixtures/medpy_metrics.json).
final class MetricsTests: XCTestCase {
    // MARK: medpy fixtures

    struct FixtureCase {
        let name: String
        let shape: [Int]
        let spacing: [Double]
        let connectivity: Int
        let pred: [Bool]
        let truth: [Bool]
        let expected: [String: Double]
    }

    static func fixtureCases() throws -> [FixtureCase] {
        let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("medpy_metrics.json")
        let doc = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        return (doc["cases"] as! [[String: Any]]).map { c in
            let shape = c["shape"] as! [Int]
            let n = shape.reduce(1, *)
            return FixtureCase(name: c["name"] as! String, shape: shape, spacing: c["spacing"] as! [Double],
                               connectivity: c["connectivity"] as! Int,
                               pred: fixtureMask(c["pred"] as! [Int], count: n), truth: fixtureMask(c["truth"] as! [Int], count: n),
                               expected: c["expected"] as! [String: Double])
        }
    }

    func testMatchesMedpy() throws {
        let cases = try Self.fixtureCases()
        XCTAssertEqual(cases.count, 14)
        var maxOverlapDiff = 0.0, maxDistanceDiff = 0.0
        for c in cases {
            let e = c.expected
            let counts = OverlapCounts(pred: c.pred, truth: c.truth)
            let overlap = [("dc", Metrics.dice(counts)), ("jc", Metrics.jaccard(counts)),
                           ("ravd", Metrics.relativeVolumeDifference(counts))]
            for (key, ours) in overlap {
                XCTAssertEqual(ours, e[key]!, accuracy: 1e-9, "\(c.name) \(key)")
                maxOverlapDiff = max(maxOverlapDiff, abs(ours - e[key]!))
            }
            XCTAssertEqual(Metrics.volumeOverlapError(counts), 1 - e["jc"]!, accuracy: 1e-9, c.name)

            guard let d = Metrics.surfaceDistances(pred: c.pred, truth: c.truth, shape: c.shape, spacing: c.spacing,
                                                   connectivity: c.connectivity) else {
                XCTFail("\(c.name): no surface distances"); continue
            }
            let distances = [("assd", d.assd), ("hd", d.hausdorff), ("hd95", d.hd95),
                             ("asd_pred_to_truth", d.asdPredToTruth), ("asd_truth_to_pred", d.asdTruthToPred)]
            for (key, ours) in distances {
                XCTAssertEqual(ours, e[key]!, accuracy: 1e-5, "\(c.name) \(key)")
                maxDistanceDiff = max(maxDistanceDiff, abs(ours - e[key]!))
            }
            XCTAssertEqual(d.hausdorff, max(d.hausdorffPredToTruth, d.hausdorffTruthToPred))
        }
        print("medpy fixtures: max |diff| overlap \(maxOverlapDiff), distances \(maxDistanceDiff) mm")
    }

    /// The bounding-box crop must not change anything: the same pair placed in a larger image
    /// (away from the faces) gives the same distances, and so does the brute-force definition.
    func testFixturesAgainstBruteForce() throws {
        for c in try Self.fixtureCases() where c.pred.count <= 20_000 {
            let d = Metrics.directedSurfaceDistances(pred: c.pred, truth: c.truth, shape: c.shape, spacing: c.spacing,
                                                     connectivity: c.connectivity)!
            let b = Self.bruteForce(pred: c.pred, truth: c.truth, shape: c.shape, spacing: c.spacing,
                                    connectivity: c.connectivity)
            XCTAssertEqual(d.predToTruth.count, b.0.count, c.name)
            XCTAssertEqual(d.truthToPred.count, b.1.count, c.name)
            for (x, y) in zip(d.predToTruth + d.truthToPred, b.0 + b.1) {
                XCTAssertEqual(x, y, accuracy: 1e-5, c.name)
            }
        }
    }

    // MARK: empty masks

    func testEmptyMaskRules() {
        let none = [Bool](repeating: false, count: 27)
        var one = none
        one[13] = true
        let shape = [3, 3, 3], spacing = [1.0, 1.0, 2.0]

        let bothEmpty = OverlapCounts(pred: none, truth: none)
        XCTAssertEqual(bothEmpty, OverlapCounts(tp: 0, fp: 0, fn: 0))
        XCTAssertTrue(Metrics.dice(bothEmpty).isNaN, "both empty: Dice is undefined, not 1")
        XCTAssertTrue(Metrics.jaccard(bothEmpty).isNaN)
        XCTAssertTrue(Metrics.volumeOverlapError(bothEmpty).isNaN)
        XCTAssertTrue(Metrics.relativeVolumeDifference(bothEmpty).isNaN)
        XCTAssertNil(Metrics.surfaceDistances(pred: none, truth: none, shape: shape, spacing: spacing))

        let predEmpty = OverlapCounts(pred: none, truth: one)
        XCTAssertEqual(Metrics.dice(predEmpty), 0)
        XCTAssertEqual(Metrics.jaccard(predEmpty), 0)
        XCTAssertEqual(Metrics.volumeOverlapError(predEmpty), 1)
        XCTAssertEqual(Metrics.relativeVolumeDifference(predEmpty), -1)
        XCTAssertNil(Metrics.surfaceDistances(pred: none, truth: one, shape: shape, spacing: spacing),
                     "an empty side has no surface: missing, not 0")

        let truthEmpty = OverlapCounts(pred: one, truth: none)
        XCTAssertEqual(Metrics.dice(truthEmpty), 0)
        XCTAssertEqual(Metrics.jaccard(truthEmpty), 0)
        XCTAssertTrue(Metrics.relativeVolumeDifference(truthEmpty).isNaN, "RVD has no meaning without a truth volume")
        XCTAssertNil(Metrics.surfaceDistances(pred: one, truth: none, shape: shape, spacing: spacing))
        XCTAssertNil(Metrics.directedSurfaceDistances(pred: one, truth: none, shape: shape, spacing: spacing))

        // Empty images.
        XCTAssertNil(Metrics.surfaceDistances(pred: [], truth: [], shape: [0, 4, 4], spacing: [1, 1, 1]))
        XCTAssertTrue(Metrics.dice(pred: [], truth: []).isNaN)
    }

    // MARK: hand-made masks

    func testOverlapByHand() {
        // pred: voxels 0..<4, truth: voxels 1..<7 -> tp 3, fp 1, fn 3.
        let pred = (0..<10).map { $0 < 4 }, truth = (0..<10).map { $0 >= 1 && $0 < 7 }
        let c = OverlapCounts(pred: pred, truth: truth)
        XCTAssertEqual(c, OverlapCounts(tp: 3, fp: 1, fn: 3))
        XCTAssertEqual(c.predVoxels, 4)
        XCTAssertEqual(c.truthVoxels, 6)
        XCTAssertEqual(c.unionVoxels, 7)
        XCTAssertEqual(Metrics.dice(c), 0.6, accuracy: 1e-15)
        XCTAssertEqual(Metrics.jaccard(c), 3.0 / 7, accuracy: 1e-15)
        XCTAssertEqual(Metrics.volumeOverlapError(c), 4.0 / 7, accuracy: 1e-15)
        XCTAssertEqual(Metrics.relativeVolumeDifference(c), -2.0 / 6, accuracy: 1e-15)
        XCTAssertEqual(Metrics.dice(pred: pred, truth: truth), Metrics.dice(c))
        XCTAssertEqual(Metrics.jaccard(pred: pred, truth: truth), Metrics.jaccard(c))
        XCTAssertEqual(Metrics.relativeVolumeDifference(pred: pred, truth: truth), Metrics.relativeVolumeDifference(c))
        XCTAssertEqual(Metrics.volumeOverlapError(pred: pred, truth: truth), Metrics.volumeOverlapError(c))
    }

    /// Counting runs in chunks of 2^20 voxels: check across chunk ends.
    func testOverlapCountsLargeMasks() {
        let n = 2 * (1 << 20) + 12345
        var rng = SplitMix64(seed: 3)
        let pred = (0..<n).map { _ in rng.next() % 3 == 0 }
        let truth = (0..<n).map { _ in rng.next() % 2 == 0 }
        var tp = 0, fp = 0, fn = 0
        for i in 0..<n {
            if pred[i] && truth[i] { tp += 1 } else if pred[i] { fp += 1 } else if truth[i] { fn += 1 }
        }
        XCTAssertEqual(OverlapCounts(pred: pred, truth: truth), OverlapCounts(tp: tp, fp: fp, fn: fn))
    }

    func testTwoSingleVoxels() {
        let shape = [6, 5, 4], spacing = [0.7, 0.8, 2.5]
        var a = [Bool](repeating: false, count: 120), b = a
        a[1 + 6 * (1 + 5 * 0)] = true      // (1, 1, 0)
        b[4 + 6 * (3 + 5 * 3)] = true      // (4, 3, 3)
        let expected = ((3 * 0.7) * (3 * 0.7) + (2 * 0.8) * (2 * 0.8) + (3 * 2.5) * (3 * 2.5)).squareRoot()
        let d = Metrics.surfaceDistances(pred: a, truth: b, shape: shape, spacing: spacing)!
        for v in [d.assd, d.hausdorff, d.hd95, d.asdPredToTruth, d.asdTruthToPred] {
            XCTAssertEqual(v, expected, accuracy: 1e-5)
        }
        XCTAssertEqual(d.predSurfaceVoxels, 1)
        XCTAssertEqual(d.truthSurfaceVoxels, 1)
    }

    /// A 3x3x3 cube against the same cube shifted by one slice: the surfaces (26 voxels each,
    /// the centre is interior at connectivity 1) meet on the shared slices.
    func testCubeShiftedOneSlice() {
        let shape = [7, 7, 8], spacing = [1.0, 1.0, 2.0]
        func cube(_ k0: Int) -> [Bool] {
            var m = [Bool](repeating: false, count: 7 * 7 * 8)
            for k in k0..<(k0 + 3) { for j in 2..<5 { for i in 2..<5 { m[i + 7 * (j + 7 * k)] = true } } }
            return m
        }
        let d = Metrics.surfaceDistances(pred: cube(2), truth: cube(3), shape: shape, spacing: spacing)!
        XCTAssertEqual(d.predSurfaceVoxels, 26)
        XCTAssertEqual(d.truthSurfaceVoxels, 26)
        // pred k = 2: 9 voxels, 2 mm below truth's bottom face; k = 3: the ring of 8 lies on
        // truth's bottom face (0); k = 4: the ring of 8 lies on truth's sides (0), the centre
        // (3, 3, 4) is inside truth, 1 mm from its side at (2, 3, 4).
        let b = Self.bruteForce(pred: cube(2), truth: cube(3), shape: shape, spacing: spacing, connectivity: 1)
        let all = b.0 + b.1
        XCTAssertEqual(d.assd, all.reduce(0, +) / Double(all.count), accuracy: 1e-6)
        XCTAssertEqual(d.hausdorff, 2, accuracy: 1e-6)
        XCTAssertEqual(d.asdPredToTruth, 19.0 / 26, accuracy: 1e-6)  // (9 * 2 + 8 * 0 + 8 * 0 + 1 * 1) / 26
    }

    /// Masks filling the whole image: the surface is the image's outer layer (scipy's erosion
    /// counts outside the image as background).
    func testWholeImageSurfaceIsTheOuterLayer() {
        let shape = [5, 4, 3]
        let all = [Bool](repeating: true, count: 60)
        let d = Metrics.surfaceDistances(pred: all, truth: all, shape: shape, spacing: [1, 1, 1])!
        XCTAssertEqual(d.predSurfaceVoxels, 60 - 3 * 2 * 1)
        XCTAssertEqual(d.hausdorff, 0)
        // Connectivity only changes which neighbours count, not the outer layer here.
        let d3 = Metrics.surfaceDistances(pred: all, truth: all, shape: shape, spacing: [1, 1, 1], connectivity: 3)!
        XCTAssertEqual(d3.predSurfaceVoxels, 54)
    }

    /// 1D and 2D images use 1D and 2D structuring elements (no neighbours along missing axes).
    func testLowerRankShapes() {
        let line = (0..<10).map { $0 >= 2 && $0 < 7 }, other = (0..<10).map { $0 == 9 }
        let d1 = Metrics.directedSurfaceDistances(pred: line, truth: other, shape: [10], spacing: [0.5])!
        XCTAssertEqual(d1.predToTruth, [3.5, 1.5])      // voxels 2 and 6 to voxel 9
        XCTAssertEqual(d1.truthToPred, [1.5])

        var rng = SplitMix64(seed: 11)
        for trial in 0..<30 {
            let shape = [2 + Int(rng.next() % 9), 2 + Int(rng.next() % 9)]
            let spacing = [0.5 + Double(rng.next() % 8) / 4, 0.5 + Double(rng.next() % 8) / 4]
            let n = shape[0] * shape[1]
            let a = (0..<n).map { _ in rng.next() % 3 == 0 }, b = (0..<n).map { _ in rng.next() % 2 == 0 }
            guard a.contains(true), b.contains(true) else { continue }
            let conn = 1 + trial % 2
            let d = Metrics.directedSurfaceDistances(pred: a, truth: b, shape: shape, spacing: spacing, connectivity: conn)!
            let e = Self.bruteForce(pred: a, truth: b, shape: shape, spacing: spacing, connectivity: conn)
            XCTAssertEqual(d.predToTruth.count, e.0.count)
            for (x, y) in zip(d.predToTruth + d.truthToPred, e.0 + e.1) { XCTAssertEqual(x, y, accuracy: 1e-5) }
        }
    }

    /// Random 3D masks of all densities and connectivities against the definition, including
    /// masks touching the faces and sparse ones far from each other (the crop is small then).
    func testRandomMasksAgainstBruteForce() {
        var rng = SplitMix64(seed: 5)
        for trial in 0..<40 {
            let shape = [1 + Int(rng.next() % 12), 1 + Int(rng.next() % 10), 1 + Int(rng.next() % 7)]
            let spacing = (0..<3).map { _ in 0.4 + Double(rng.next() % 100) / 30 }
            let n = shape.reduce(1, *)
            let density = [0.01, 0.05, 0.3, 0.7, 0.95][trial % 5]
            let a = (0..<n).map { _ in Double(rng.next() % 1000) / 1000 < density }
            let b = (0..<n).map { _ in Double(rng.next() % 1000) / 1000 < density * 0.8 }
            let conn = 1 + trial % 3
            guard a.contains(true), b.contains(true) else {
                XCTAssertNil(Metrics.surfaceDistances(pred: a, truth: b, shape: shape, spacing: spacing, connectivity: conn))
                continue
            }
            let d = Metrics.directedSurfaceDistances(pred: a, truth: b, shape: shape, spacing: spacing, connectivity: conn)!
            let e = Self.bruteForce(pred: a, truth: b, shape: shape, spacing: spacing, connectivity: conn)
            XCTAssertEqual(d.predToTruth.count, e.0.count, "trial \(trial)")
            XCTAssertEqual(d.truthToPred.count, e.1.count, "trial \(trial)")
            for (x, y) in zip(d.predToTruth + d.truthToPred, e.0 + e.1) { XCTAssertEqual(x, y, accuracy: 1e-5, "trial \(trial)") }

            let s = Metrics.surfaceDistances(pred: a, truth: b, shape: shape, spacing: spacing, connectivity: conn)!
            var all = e.0 + e.1
            all.sort()
            XCTAssertEqual(s.hd95, Self.numpyPercentile(all, 95), accuracy: 1e-5)
            XCTAssertEqual(s.hausdorff, all.last!, accuracy: 1e-5)
            XCTAssertEqual(s.assd, all.reduce(0, +) / Double(all.count), accuracy: 1e-5)
        }
    }

    /// The same pair placed anywhere in a larger image gives the same distances.
    func testPlacementInLargerImage() throws {
        let c = try Self.fixtureCases().first { $0.name == "liver_eroded_shifted" }!
        let small = Metrics.surfaceDistances(pred: c.pred, truth: c.truth, shape: c.shape, spacing: c.spacing)!
        let big = [c.shape[0] + 37, c.shape[1] + 5, c.shape[2] + 9]
        func embed(_ m: [Bool]) -> [Bool] {
            var out = [Bool](repeating: false, count: big.reduce(1, *))
            for k in 0..<c.shape[2] { for j in 0..<c.shape[1] { for i in 0..<c.shape[0] where m[i + c.shape[0] * (j + c.shape[1] * k)] {
                out[(i + 30) + big[0] * ((j + 2) + big[1] * (k + 4))] = true
            } } }
            return out
        }
        let large = Metrics.surfaceDistances(pred: embed(c.pred), truth: embed(c.truth), shape: big, spacing: c.spacing)!
        XCTAssertEqual(small.predSurfaceVoxels, large.predSurfaceVoxels)
        XCTAssertEqual(small.truthSurfaceVoxels, large.truthSurfaceVoxels)
        XCTAssertEqual(small.assd, large.assd, accuracy: 1e-9)
        XCTAssertEqual(small.hd95, large.hd95, accuracy: 1e-9)
        XCTAssertEqual(small.hausdorff, large.hausdorff, accuracy: 1e-9)
    }

    // MARK: percentile and selection

    func testPercentileMatchesNumpy() {
        // np.percentile(x, 95) printed with repr.
        var a = [1.0, 2, 3, 4]
        XCTAssertEqual(Metrics.percentileLinear(&a, 95), 3.8499999999999996)
        var b = (0..<10).map(Double.init).reversed().map { $0 }
        XCTAssertEqual(Metrics.percentileLinear(&b, 95), 8.549999999999999)
        var c = [5.0]
        XCTAssertEqual(Metrics.percentileLinear(&c, 95), 5.0)
        var d = [3.0, 1, 2, 2, 7, 0.5, 9, 4]
        XCTAssertEqual(Metrics.percentileLinear(&d, 95), 8.299999999999999)
    }

    func testSelectionAgainstSort() {
        var rng = SplitMix64(seed: 9)
        for trial in 0..<200 {
            let n = 1 + Int(rng.next() % 300)
            // Many ties in some trials.
            let levels = trial % 3 == 0 ? 4 : 1_000_000
            let values = (0..<n).map { _ in Double(rng.next() % UInt64(levels)) }
            let sorted = values.sorted()
            let k = Int(rng.next() % UInt64(n))
            var v = values
            XCTAssertEqual(Selection.select(&v, k), sorted[k])
            XCTAssertTrue(v[..<k].allSatisfy { $0 <= sorted[k] } && v[k...].allSatisfy { $0 >= sorted[k] })
            XCTAssertEqual(v.sorted(), sorted)
        }
    }

    // MARK: reference implementation

    /// numpy's linear percentile of sorted values.
    static func numpyPercentile(_ sorted: [Double], _ q: Double) -> Double {
        let x = Double(sorted.count - 1) * q / 100
        let lo = Int(x.rounded(.down)), hi = min(sorted.count - 1, lo + 1)
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (x - Double(lo))
    }

    /// medpy's definition written out: surface = voxels with a structuring-element neighbour that
    /// is background or outside the image; distance = minimum over the other surface, brute force.
    static func bruteForce(pred: [Bool], truth: [Bool], shape: [Int], spacing: [Double],
                           connectivity: Int) -> ([Double], [Double]) {
        let nd = shape.count
        let s = shape + [Int](repeating: 1, count: 3 - nd)
        let w = spacing + [Double](repeating: 1, count: 3 - nd)
        func coords(_ n: Int) -> [Int] { [n % s[0], (n / s[0]) % s[1], n / (s[0] * s[1])] }
        var offsets: [[Int]] = []
        for dk in (nd > 2 ? -1...1 : 0...0) {
            for dj in (nd > 1 ? -1...1 : 0...0) {
                for di in -1...1 {
                    let z = abs(di) + abs(dj) + abs(dk)
                    if z > 0 && z <= connectivity { offsets.append([di, dj, dk]) }
                }
            }
        }
        func surface(_ m: [Bool]) -> [[Int]] {
            (0..<m.count).filter { n in
                guard m[n] else { return false }
                let p = coords(n)
                return offsets.contains { o in
                    let q = (0..<3).map { p[$0] + o[$0] }
                    if (0..<3).contains(where: { q[$0] < 0 || q[$0] >= s[$0] }) { return true }
                    return !m[q[0] + s[0] * (q[1] + s[1] * q[2])]
                }
            }.map(coords)
        }
        func directed(_ from: [[Int]], _ to: [[Int]]) -> [Double] {
            let q = to.map { c in (Double(c[0]) * w[0], Double(c[1]) * w[1], Double(c[2]) * w[2]) }
            return from.map { c in
                let p = (Double(c[0]) * w[0], Double(c[1]) * w[1], Double(c[2]) * w[2])
                var best = Double.infinity
                for t in q {
                    let dx = p.0 - t.0, dy = p.1 - t.1, dz = p.2 - t.2
                    best = min(best, dx * dx + dy * dy + dz * dz)
                }
                return best.squareRoot()
            }
        }
        let sp = surface(pred), st = surface(truth)
        return (directed(sp, st), directed(st, sp))
    }
}

/// A small seeded generator for reproducible test masks.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
