import Foundation
import XCTest
import LiTSCore
@testable import LiTSImaging

/// scipy.ndimage.zoom(grid_mode=True, mode='nearest') defines the expected values
/// (scripts/make_resample_fixture.py wrote Fixtures/resample.json).
final class ResampleTests: XCTestCase {
    func fixture() throws -> [String: Any] {
        let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("resample.json")
        return try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    }

    func testLinearAndNearestMatchScipy() throws {
        let f = try fixture()
        let grid = Grid(shape: f["shape"] as! [Int], spacing: [0.8, 0.8, 5])
        let ct = Volume(grid: grid, voxels: (f["ct"] as! [Double]).map { Float($0) })
        let labels = LabelMap(grid: grid, voxels: (f["labels"] as! [Int]).map { UInt8($0) })
        for target in f["targets"] as! [[String: Any]] {
            let shape = target["shape"] as! [Int]
            let lin = Resampler.resample(ct, to: shape, interpolation: .linear)
            XCTAssertEqual(lin.shape, shape)
            let expected = target["linear"] as! [Double]
            let maxDiff = zip(lin.voxels, expected).map { abs(Double($0) - $1) }.max() ?? 0
            XCTAssertLessThan(maxDiff, 1e-3, "linear to \(shape)")
            let near = Resampler.resample(labels, to: shape)
            XCTAssertEqual(near.voxels.map(Int.init), target["nearest"] as! [Int], "nearest to \(shape)")
        }
    }

    func testNewGridKeepsTheFieldOfView() {
        let g = Grid(shape: [512, 512, 100], spacing: [0.7, 0.7, 5], affine: .diagonal(spacing: [-0.7, -0.7, 5], origin: [10, 20, -300]))
        let r = Resampler.grid(from: g, to: [168, 168, 250])
        XCTAssertEqual(r.spacing[2], 2.0, accuracy: 1e-12)
        XCTAssertEqual(r.spacing[0], 0.7 * 512 / 168, accuracy: 1e-12)
        // The outer edges of the first and last voxels stay in place in world space.
        let firstEdge = g.affine.apply((-0.5, -0.5, -0.5)), newFirstEdge = r.affine.apply((-0.5, -0.5, -0.5))
        let lastEdge = g.affine.apply((511.5, 511.5, 99.5)), newLastEdge = r.affine.apply((167.5, 167.5, 249.5))
        for (a, b) in [(firstEdge, newFirstEdge), (lastEdge, newLastEdge)] {
            XCTAssertEqual(a.0, b.0, accuracy: 1e-9); XCTAssertEqual(a.1, b.1, accuracy: 1e-9); XCTAssertEqual(a.2, b.2, accuracy: 1e-9)
        }
    }

    func testCubicReproducesLinearRampsAndConstants() {
        // Keys' cubic kernel reproduces polynomials up to degree 2 away from the borders.
        let grid = Grid(shape: [20, 16, 12], spacing: [1, 1, 1])
        var v = Volume<Float>(grid: grid, repeating: 0)
        for k in 0..<12 { for j in 0..<16 { for i in 0..<20 { v[i, j, k] = Float(3 * i - 2 * j + k) } } }
        let r = Resampler.resample(v, to: [10, 16, 24], interpolation: .cubic)
        for k in 4..<20 { for j in 2..<14 { for i in 2..<8 {
            let x = (Double(i) + 0.5) * 2 - 0.5, z = (Double(k) + 0.5) * 0.5 - 0.5
            XCTAssertEqual(Double(r[i, j, k]), 3 * x - 2 * Double(j) + z, accuracy: 1e-3)
        } } }
        let c = Resampler.resample(Volume(grid: grid, repeating: Float(42)), to: [7, 5, 30], interpolation: .cubic)
        XCTAssertTrue(c.voxels.allSatisfy { abs($0 - 42) < 1e-4 })
    }

    func testLabelsNeverGetInterpolatedValues() {
        let grid = Grid(shape: [9, 9, 9], spacing: [1, 1, 1])
        let labels = LabelMap(grid: grid, voxels: (0..<729).map { UInt8(($0 / 7) % 3) })
        let r = Resampler.resample(labels, to: [4, 13, 5])
        XCTAssertTrue(Set(r.voxels).isSubset(of: [0, 1, 2]))
    }
}

final class WindowAndNormalizeTests: XCTestCase {
    func testClipAndMinMax() {
        let grid = Grid(shape: [5, 1, 1], spacing: [1, 1, 1])
        let v = Volume<Float>(grid: grid, voxels: [-1000, -100, 150, 400, 3000])
        let c = v.clipped(to: .liver)
        XCTAssertEqual(c.voxels, [-100, -100, 150, 400, 400])
        let (n, lo, hi) = c.minMaxNormalized()
        XCTAssertEqual(lo, -100); XCTAssertEqual(hi, 400)
        XCTAssertEqual(n.voxels, [0, 0, 0.5, 1, 1])
        XCTAssertEqual(Volume<Float>(grid: grid, repeating: 7).minMaxNormalized().volume.voxels, [0, 0, 0, 0, 0])
    }

    func testWindowPresets() {
        XCTAssertEqual(HUWindow.presets.map(\.name), ["liver", "abdomen", "soft-tissue", "bone"])
        XCTAssertEqual(HUWindow.presets.first { $0.name == "liver" }?.window, HUWindow(low: -100, high: 400))
    }

    func testPreprocessShapeAndSpacing() {
        let grid = Grid(shape: [64, 48, 30], spacing: [0.7, 0.7, 5])
        XCTAssertEqual(Preprocessor.targetShape(for: grid, options: PreprocessOptions()), [168, 168, 75])
    }
}
