import Foundation
import XCTest
import LiTSCore
@testable import LiTSImaging

/// scikit-image 0.26 defines the expected values: scripts/make_equalization_fixture.py wrote
/// Fixtures/equalization.json (synthetic CT-like slices and uniform noise, with the outputs of
/// `exposure.equalize_hist` and `exposure.equalize_adapthist`). The Swift code repeats
/// scikit-image's float32/float64 arithmetic step by step, so the outputs agree exactly
/// (maximum difference 0 on this machine); the tests allow 1e-6 for both and print the
/// maximum difference they find.
final class EqualizationTests: XCTestCase {
    struct FixtureImage {
        let name: String
        let rows: Int, cols: Int
        let image: [Float]
        let mask: [Bool]
        let hist: [(nbins: Int, mask: Bool, out: [Float])]
        let clahe: [(kernel: (rows: Int, cols: Int)?, clip: Double, nbins: Int, out: [Float])]
    }

    static func floats(_ b64: Any?) -> [Float] {
        let data = Data(base64Encoded: b64 as! String)!
        return data.withUnsafeBytes { raw in
            (0..<(data.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        }
    }

    static let fixture: [FixtureImage] = {
        let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("equalization.json")
        let doc = try! JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        return (doc["images"] as! [[String: Any]]).map { e in
            let mask = Data(base64Encoded: e["mask"] as! String)!.map { $0 != 0 }
            let hist = (e["equalize_hist"] as! [[String: Any]]).map {
                (nbins: $0["nbins"] as! Int, mask: $0["mask"] as! Bool, out: floats($0["out"]))
            }
            let clahe = (e["equalize_adapthist"] as! [[String: Any]]).map { c -> (kernel: (rows: Int, cols: Int)?, clip: Double, nbins: Int, out: [Float]) in
                let k = c["kernel_size"] as? [Int]
                return (kernel: k.map { (rows: $0[0], cols: $0[1]) }, clip: c["clip_limit"] as! Double,
                        nbins: c["nbins"] as! Int, out: floats(c["out"]))
            }
            return FixtureImage(name: e["name"] as! String, rows: e["rows"] as! Int, cols: e["cols"] as! Int,
                                image: floats(e["image"]), mask: mask, hist: hist, clahe: clahe)
        }
    }()

    static func maxDiff(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count)
        var m: Float = 0
        for i in 0..<a.count { m = max(m, abs(a[i] - b[i])) }
        return m
    }

    func testFixtureLoads() {
        XCTAssertEqual(Self.fixture.count, 3)
        for f in Self.fixture {
            XCTAssertEqual(f.image.count, f.rows * f.cols)
            XCTAssertEqual(f.mask.count, f.rows * f.cols)
            XCTAssertEqual(f.hist.count, 3)
            XCTAssertEqual(f.clahe.count, 3)
        }
    }

    func testEqualizeHistMatchesScikitImage() {
        var worst: Float = 0
        for f in Self.fixture {
            for h in f.hist {
                let ours = HistogramEqualization.equalize(f.image, bins: h.nbins, mask: h.mask ? f.mask : nil)
                XCTAssertEqual(ours.count, h.out.count)
                let d = Self.maxDiff(ours, h.out)
                worst = max(worst, d)
                XCTAssertLessThanOrEqual(d, 1e-6, "\(f.name) nbins \(h.nbins) mask \(h.mask)")
            }
        }
        print("equalize_hist: max |LiTSKit - scikit-image| = \(worst)")
    }

    func testCLAHEMatchesScikitImage() {
        var worst: Float = 0
        for f in Self.fixture {
            for c in f.clahe {
                let ours = CLAHE.apply(f.image, width: f.cols, height: f.rows, kernelSize: c.kernel,
                                       clipLimit: c.clip, bins: c.nbins)
                XCTAssertEqual(ours.count, c.out.count)
                let d = Self.maxDiff(ours, c.out)
                worst = max(worst, d)
                XCTAssertLessThanOrEqual(d, 1e-6, "\(f.name) kernel \(String(describing: c.kernel)) clip \(c.clip) nbins \(c.nbins)")
            }
        }
        print("equalize_adapthist: max |LiTSKit - scikit-image| = \(worst)")
    }

    // MARK: Unit tests

    func testConstantImage() {
        // numpy widens an empty range to [v - 0.5, v + 0.5]: every pixel sits mid-CDF, 0.5.
        for v: Float in [0, 0.3, 1] {
            XCTAssertEqual(Set(HistogramEqualization.equalize([Float](repeating: v, count: 50))), [0.5])
            // CLAHE: the result is constant, and rescale_intensity clips a constant to [0, 1]: 1.
            XCTAssertEqual(Set(CLAHE.apply([Float](repeating: v, count: 20 * 24), width: 24, height: 20)), [1])
        }
    }

    func testTwoValues() {
        // 30 at 0.2 and 10 at 0.7: the low value lands in bin 0 (CDF 0.75), the high one in the
        // last bin (CDF 1). Both lie outside the bin centres (0.325 and 0.575 with 2 bins), so
        // np.interp clamps them to the first and last CDF values.
        let values = [Float](repeating: 0.2, count: 30) + [Float](repeating: 0.7, count: 10)
        let out = HistogramEqualization.equalize(values, bins: 2)
        XCTAssertEqual(out[0], 0.75, accuracy: 1e-7)     // below the first centre: fp[0]
        XCTAssertEqual(out[39], 1, accuracy: 1e-7)       // above the last centre: fp[-1]
        let many = HistogramEqualization.equalize(values, bins: 256)
        XCTAssertEqual(Set(many[0..<30]).count, 1)
        XCTAssertEqual(Set(many[30...]).count, 1)
        XCTAssertLessThan(many[0], many[39])
        XCTAssertEqual(many[39], 1)
        XCTAssertEqual(many[0], 0.75, accuracy: 1e-6)
    }

    func testMaskExcludesValues() {
        // Bright outliers outside the mask do not take part in the histogram: the masked part
        // spreads over [0, 1] as if the outliers were absent, and the outliers clamp to 1.
        var rng = SplitMix(seed: 7)
        let body = (0..<400).map { _ in Float(rng.next() % 1000) / 4000 }     // in [0, 0.25)
        let values = body + [Float](repeating: 1, count: 100)
        let mask = [Bool](repeating: true, count: 400) + [Bool](repeating: false, count: 100)
        let masked = HistogramEqualization.equalize(values, mask: mask)
        let alone = HistogramEqualization.equalize(body)
        XCTAssertEqual(Array(masked[0..<400]), alone)
        XCTAssertEqual(Set(masked[400...]), [1])
        let unmasked = HistogramEqualization.equalize(values)
        XCTAssertGreaterThan(Self.maxDiff(Array(unmasked[0..<400]), alone), 0.05)
        XCTAssertLessThanOrEqual(unmasked[0..<400].max()!, 0.8 + 1e-6)   // 400 of 500 pixels
        // A mask that selects nothing gives zeros (scikit-image: NaN from a 0/0 CDF).
        XCTAssertEqual(Set(HistogramEqualization.equalize(values, mask: [Bool](repeating: false, count: 500))), [0])
    }

    static func volume(nx: Int, ny: Int, nz: Int, _ hu: (Int, Int, Int) -> Float) -> Volume<Float> {
        var v = [Float](repeating: 0, count: nx * ny * nz)
        for k in 0..<nz { for j in 0..<ny { for i in 0..<nx { v[i + nx * (j + ny * k)] = hu(i, j, k) } } }
        return Volume(grid: Grid(shape: [nx, ny, nz], spacing: [1, 1, 1]), voxels: v)
    }

    func testPerSliceGivesEachSliceItsOwnMapping() {
        // Slice 0 spans [0, 100] HU, slice 1 the same pattern scaled to [0, 300]. Per slice, each
        // gets its own histogram: both reach 1 and agree up to the interpolation inside bins
        // (equalization is nearly rank-based). One volume histogram leaves slice 0 well below 1.
        let (nx, ny) = (16, 12)
        let v = Self.volume(nx: nx, ny: ny, nz: 2) { i, j, k in Float((i * 7 + j * 13) % 101) * (k == 0 ? 1 : 3) }
        let eq = HistogramEqualization.perSlice(v, window: .liver)
        let plane = nx * ny
        let s0 = Array(eq.voxels[0..<plane]), s1 = Array(eq.voxels[plane...])
        XCTAssertEqual(s0.max(), 1)
        XCTAssertEqual(s1.max(), 1)
        XCTAssertLessThan(Self.maxDiff(s0, s1), 0.03)
        // Each slice against the single-slice function on its windowed values.
        for k in 0..<2 {
            let unit = (0..<plane).map { (min(max(v.voxels[k * plane + $0], -100), 400) + 100) / 500 }
            XCTAssertEqual(Array(eq.voxels[(k * plane)..<((k + 1) * plane)]), HistogramEqualization.equalize(unit))
        }
        let whole = HistogramEqualization.wholeVolume(v, window: .liver)
        XCTAssertLessThan(whole.voxels[0..<plane].max()!, 0.7)
        XCTAssertEqual(whole.voxels[plane...].max(), 1)
        XCTAssertEqual(whole.grid, v.grid)
        // CLAHE per slice is the 2D function on each slice (rows j, columns i).
        let cl = CLAHE.perSlice(v, window: .liver, kernelSize: (rows: 4, cols: 4), clipLimit: 0.02, bins: 64)
        for k in 0..<2 {
            let unit = (0..<plane).map { (min(max(v.voxels[k * plane + $0], -100), 400) + 100) / 500 }
            XCTAssertEqual(Array(cl.voxels[(k * plane)..<((k + 1) * plane)]),
                           CLAHE.apply(unit, width: nx, height: ny, kernelSize: (rows: 4, cols: 4), clipLimit: 0.02, bins: 64))
        }
    }

    func testWholeVolumeMatchesSingleCallAndBodyMaskMatters() {
        // Air (-1000 HU) around a body: the air dominates the volume histogram unless masked out.
        let (nx, ny, nz) = (20, 18, 5)
        var rng = SplitMix(seed: 11)
        let v = Self.volume(nx: nx, ny: ny, nz: nz) { i, j, _ in
            let inside = (i - 10) * (i - 10) + (j - 9) * (j - 9) < 36
            return inside ? Float(rng.next() % 300) - 50 : -1000
        }
        let body = v.voxels.map { $0 > -500 }
        let all = HistogramEqualization.wholeVolume(v, window: .liver)
        let unit = v.voxels.map { (min(max($0, -100), 400) + 100) / 500 }
        XCTAssertEqual(all.voxels, HistogramEqualization.equalize(unit))
        let masked = HistogramEqualization.wholeVolume(v, window: .liver, mask: body)
        XCTAssertEqual(masked.voxels, HistogramEqualization.equalize(unit, mask: body))
        let inside = body.indices.filter { body[$0] }
        XCTAssertGreaterThan(Self.maxDiff(inside.map { all.voxels[$0] }, inside.map { masked.voxels[$0] }), 0.1)
        // Without the mask, the body's lowest values already sit above the air's CDF share.
        let airShare = Float(body.filter { !$0 }.count) / Float(body.count)
        XCTAssertGreaterThanOrEqual(inside.map { all.voxels[$0] }.min()!, airShare - 1e-6)
        // A per-slice mask selecting nothing in a slice leaves that slice at zero.
        var partial = body
        for i in 0..<(nx * ny) { partial[i] = false }
        let ps = HistogramEqualization.perSlice(v, window: .liver, mask: partial)
        XCTAssertEqual(Set(ps.voxels[0..<(nx * ny)]), [0])
    }

    func testCLAHEHelpers() {
        // numpy's reflect padding, including pads longer than the axis.
        XCTAssertEqual((-4...9).map { CLAHE.reflect($0, 4) }, [2, 3, 2, 1, 0, 1, 2, 3, 2, 1, 0, 1, 2, 3])
        XCTAssertEqual(CLAHE.reflect(5, 1), 0)
        // clip_histogram: excess redistributed, bins capped at the limit.
        var h = [10, 0, 0, 0]
        CLAHE.clipHistogram(&h, clipLimit: 4)
        XCTAssertEqual(h, [4, 2, 2, 2])
        var h2 = [9, 3, 0, 1, 0]
        CLAHE.clipHistogram(&h2, clipLimit: 3)
        XCTAssertEqual(h2, [3, 3, 2, 3, 2])   // scikit-image 0.26 clip_histogram
    }
}

/// A tiny deterministic generator for test data.
fileprivate struct SplitMix {
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
