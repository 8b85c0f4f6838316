import Foundation
import XCTest
@testable import LiTSCore
import LiTSImaging
@testable import LiTSAnalysis

/// A phantom with known answers: a box-shaped liver over 24 slices, three lesions, one in each
/// third, and an air pocket inside the body.
final class CaseAnalyzerTests: XCTestCase {
    static let shape = [40, 40, 30]
    static let spacing = [1.0, 1.0, 2.0]

    /// Canonical (RAS+) arrays of the phantom.
    static func phantom() -> (Volume<Float>, LabelMap) {
        let grid = Grid(shape: shape, spacing: spacing)
        var ct = Volume<Float>(grid: grid, repeating: -1000)
        var labels = LabelMap(grid: grid, repeating: 0)
        for k in 0..<30 { for j in 2..<38 { for i in 2..<38 { ct[i, j, k] = 40 } } }
        for k in 10..<14 { for j in 30..<34 { for i in 30..<34 { ct[i, j, k] = -900 } } }  // lung-like pocket
        for k in 3...26 { for j in 5...29 { for i in 5...29 { ct[i, j, k] = 100; labels[i, j, k] = 1 } } }
        // Top third (k 19...26): a sphere of radius 3 around (12, 12, 22).
        for k in 19...25 { for j in 9...15 { for i in 9...15 {
            let d = Double((i - 12) * (i - 12) + (j - 12) * (j - 12)) + 4 * Double((k - 22) * (k - 22))
            if d <= 9 { ct[i, j, k] = 60; labels[i, j, k] = 2 }
        } } }
        // Middle third (k 11...18): a 4x4x4 cube.
        for k in 13...16 { for j in 20...23 { for i in 20...23 { ct[i, j, k] = 50; labels[i, j, k] = 2 } } }
        // Bottom third (k 3...10): one voxel.
        ct[25, 8, 5] = 70
        labels[25, 8, 5] = 2
        return (ct, labels)
    }

    func analyze(ct: Volume<Float>, labels: LabelMap) -> CaseEDA {
        let source = NIfTISource(path: "phantom", header: try! NIfTIHeader.parseForTests(), grid: ct.grid, sformCode: 1, qformCode: 1)
        let c = LoadedCase(info: Case(id: "1", volumePath: "phantom", segmentationPath: "phantom-seg", layout: .lits),
                           ct: ct, labels: labels, source: source, reorientation: Reorientation(sourceGrid: ct.grid))
        return CaseAnalyzer.analyze(c)
    }

    func testKnownAnswers() throws {
        let (ct, labels) = CaseAnalyzerTests.phantom()
        let eda = analyze(ct: ct, labels: labels)
        XCTAssertEqual(eda.liverExtent, LiverExtent(kMin: 3, kMax: 26))
        XCTAssertEqual(eda.liverExtentMM, 48)
        XCTAssertEqual(eda.lesions.count, 3)
        let byRegion = Dictionary(uniqueKeysWithValues: eda.lesions.map { ($0.region!, $0) })
        XCTAssertEqual(Set(byRegion.keys), [.top, .middle, .bottom])

        let cube = byRegion[.middle]!
        XCTAssertEqual(cube.voxels, 64)
        XCTAssertEqual(cube.volumeML, 64 * 2 / 1000, accuracy: 1e-12)
        XCTAssertEqual(cube.slices, 4)
        XCTAssertEqual(cube.extentMM, [4, 4, 8])
        XCTAssertEqual(cube.maxInPlaneDiameterMM, 18.0.squareRoot() + 1, accuracy: 1e-9, "diagonal of 4x4 pixel centres plus one pixel")
        XCTAssertEqual(cube.centroidVoxel, [21.5, 21.5, 14.5])
        XCTAssertEqual(cube.meanHU, 50)
        XCTAssertEqual(cube.stdHU, 0)
        // Centroid voxel (22, 22, 15): nearest non-liver voxel is i = 30 or j = 30, 8 mm away.
        XCTAssertEqual(cube.depthMM!, 8, accuracy: 1e-4)
        XCTAssertEqual(cube.equivalentDiameterMM, pow(6 * 128 / Double.pi, 1.0 / 3), accuracy: 1e-9)

        let dot = byRegion[.bottom]!
        XCTAssertEqual(dot.voxels, 1)
        XCTAssertEqual(dot.slices, 1)
        XCTAssertEqual(dot.maxInPlaneDiameterMM, 1, accuracy: 1e-12)

        XCTAssertEqual(eda.labelVoxels[2], byRegion.values.reduce(0) { $0 + $1.voxels })
        XCTAssertEqual(eda.liverML, Double(25 * 25 * 24) * 2 / 1000, accuracy: 1e-9)
        XCTAssertEqual(eda.liverComponents, 1)
        XCTAssertEqual(eda.liverTouches, [])
        XCTAssertEqual(eda.hu["tumor"]?.max, 70)
        // The air pocket is inside the body once holes are filled.
        XCTAssertEqual(eda.hu["body"]?.min, -900)
        XCTAssertEqual(eda.hu["body"]?.voxels, 36 * 36 * 30)
    }

    func testConnectivityChangesTheLesionCount() {
        var (ct, labels) = CaseAnalyzerTests.phantom()
        // Two more voxels touching the single voxel only by a corner.
        labels[26, 9, 6] = 2
        ct[26, 9, 6] = 70
        XCTAssertEqual(analyze(ct: ct, labels: labels).lesions.count, 3)
        let eda6 = CaseAnalyzer.analyze(LoadedCase(info: Case(id: "1", volumePath: "p", segmentationPath: nil, layout: .lits),
                                                   ct: ct, labels: labels,
                                                   source: NIfTISource(path: "p", header: try! NIfTIHeader.parseForTests(), grid: ct.grid, sformCode: 1, qformCode: 1),
                                                   reorientation: Reorientation(sourceGrid: ct.grid)), connectivity: .six)
        XCTAssertEqual(eda6.lesions.count, 4)
    }

    /// "Top" comes from the affine: the same anatomy stored with k running superior to inferior
    /// (and LPS in-plane) must give the same regions after loading.
    func testRegionsFollowTheAffineNotTheArrayIndex() throws {
        let dir = NSTemporaryDirectory() + "litskit-analysis-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (ct, labels) = CaseAnalyzerTests.phantom()
        // Store flipped along all three axes with an LPI affine: the file's k runs downwards.
        let flipped = Affine(rows: [[-1, 0, 0, 39], [0, -1, 0, 39], [0, 0, -2, 58], [0, 0, 0, 1]])
        let fileGrid = Grid(shape: CaseAnalyzerTests.shape, spacing: CaseAnalyzerTests.spacing, affine: flipped)
        func flip<T>(_ v: Volume<T>) -> Volume<T> {
            var out = v
            out.grid = fileGrid
            for k in 0..<30 { for j in 0..<40 { for i in 0..<40 { out[39 - i, 39 - j, 29 - k] = v[i, j, k] } } }
            return out
        }
        try NIfTIWriter.write(flip(ct).map { Int16($0) }, to: "\(dir)/volume-1.nii.gz")
        try NIfTIWriter.write(flip(labels), to: "\(dir)/segmentation-1.nii.gz")
        let loaded = try CaseLoader.load(try Dataset.discover(dir)[0])
        XCTAssertEqual(loaded.source.grid.axisCodes, "LPI")
        XCTAssertEqual(loaded.ct.voxels, ct.voxels, "canonical arrays are the phantom again")
        let eda = CaseAnalyzer.analyze(loaded)
        let top = eda.lesions.first { $0.region == .top }
        XCTAssertEqual(top?.voxels, analyze(ct: ct, labels: labels).lesions.first { $0.region == .top }?.voxels)
        XCTAssertEqual(eda.orientation, "LPI")
    }
}

extension NIfTIHeader {
    /// A plausible header for in-memory test cases.
    static func parseForTests() throws -> NIfTIHeader {
        NIfTIHeader(version: 1, dims: [3, 40, 40, 30, 1, 1, 1, 1], datatype: 16, bitpix: 32,
                    pixdim: [1, 1, 1, 2, 0, 0, 0, 0], voxOffset: 352, sclSlope: 1, sclInter: 0, bigEndian: false)
    }
}
