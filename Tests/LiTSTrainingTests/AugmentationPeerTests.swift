import Foundation
import XCTest
import LiTSCore
import LiTSInference
@testable import LiTSTraining

/// The transforms against the peers nnU-Net builds on: scipy's gaussian_filter and
/// map_coordinates, PyTorch's interpolate (Fixtures/augmentation.json, written by
/// scripts/make_augmentation_fixture.py).
final class AugmentationPeerTests: XCTestCase {
    struct Fixture: Decodable {
        struct Blur: Decodable { let shape_whd: [Int]; let sigma_ijk: [Double]; let values: [Double] }
        struct LowRes: Decodable { let shape_whd: [Int]; let zoom: Double; let values: [Double] }
        struct Spatial: Decodable {
            let volume_whd: [Int]; let patch_whd: [Int]; let origin_ijk: [Int]
            let degrees_ijk: [Double]; let zoom_ijk: [Double]; let pad: Float
            let image: [Double]; let labels: [Int]
        }
        let blur: Blur
        let lowres: LowRes
        let spatial: Spatial
    }

    private func fixture() throws -> Fixture {
        let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("augmentation.json")
        return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }

    /// x[k, j, i] = ((31 k + 17 j + 7 i) mod 23) / 23, i fastest.
    private func volume(_ whd: [Int]) -> [Float] {
        var out: [Float] = []
        for k in 0..<whd[2] { for j in 0..<whd[1] { for i in 0..<whd[0] { out.append(Float((31 * k + 17 * j + 7 * i) % 23) / 23) } } }
        return out
    }

    private func assertClose(_ ours: [Float], _ peer: [Double], _ tolerance: Double, _ what: String) {
        XCTAssertEqual(ours.count, peer.count, what)
        let worst = zip(ours, peer).map { abs(Double($0) - $1) }.max() ?? .infinity
        XCTAssertLessThan(worst, tolerance, "\(what): largest difference \(worst)")
    }

    func testBlurMatchesScipyGaussianFilter() throws {
        let f = try fixture().blur
        var x = volume(f.shape_whd)
        GaussianBlur.apply(&x, size: PatchSize(d: f.shape_whd[2], h: f.shape_whd[1], w: f.shape_whd[0]),
                           sigma: (f.sigma_ijk[0], f.sigma_ijk[1], f.sigma_ijk[2]))
        assertClose(x, f.values, 1e-6, "gaussian_filter")
    }

    func testLowResolutionMatchesTorchInterpolate() throws {
        let f = try fixture().lowres
        var x = volume(f.shape_whd)
        LowResolution.apply(&x, size: PatchSize(d: f.shape_whd[2], h: f.shape_whd[1], w: f.shape_whd[0]), zoom: f.zoom, inPlaneOnly: false)
        assertClose(x, f.values, 1e-6, "nearest-exact down, trilinear up")
    }

    func testRotationAndZoomMatchScipyMapCoordinates() throws {
        let f = try fixture().spatial
        let grid = Grid(shape: f.volume_whd, spacing: [1, 1, 1])
        var labels = LabelMap(grid: grid, repeating: 0)
        for k in 0..<f.volume_whd[2] { for j in 0..<f.volume_whd[1] { for i in 0..<f.volume_whd[0] {
            labels[i, j, k] = UInt8((i + 2 * j + 3 * k) / 4 % 3)
        } } }
        let image = Volume(grid: grid, voxels: volume(f.volume_whd))
        let matrix = SpatialResampling.matrix(degrees: (f.degrees_ijk[0], f.degrees_ijk[1], f.degrees_ijk[2]),
                                              zoom: (f.zoom_ijk[0], f.zoom_ijk[1], f.zoom_ijk[2]))
        let out = SpatialResampling(matrix: matrix, displacement: nil).resample(
            image: image, labels: labels, origin: (f.origin_ijk[2], f.origin_ijk[1], f.origin_ijk[0]),
            size: PatchSize(d: f.patch_whd[2], h: f.patch_whd[1], w: f.patch_whd[0]), padValue: f.pad)
        assertClose(out.image, f.image, 1e-5, "map_coordinates order 1, grid-constant")
        XCTAssertEqual(out.labels.map(Int.init), f.labels, "map_coordinates order 0")
        XCTAssertTrue(out.image.contains(f.pad), "the fixture reaches outside the volume")
    }
}
