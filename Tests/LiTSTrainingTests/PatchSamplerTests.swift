import XCTest
import LiTSCore
import LiTSImaging
import LiTSInference
import LiTSNet
@testable import LiTSTraining

// MARK: - Fixtures built in the test

/// A synthetic case: an ellipsoidal liver with a spherical lesion in it, image values that say
/// where each voxel is (i + 100 j + 10000 k), so every copied voxel can be traced back.
private func syntheticCase(nx: Int, ny: Int, nz: Int,
                           liverCentre: (Double, Double, Double), liverRadii: (Double, Double, Double),
                           lesion: (centre: (Double, Double, Double), radius: Double)?) -> (Volume<Float>, LabelMap) {
    let grid = Grid(shape: [nx, ny, nz], spacing: [1, 1, 1])
    var image = Volume<Float>(grid: grid, repeating: 0)
    var labels = LabelMap(grid: grid, repeating: 0)
    for k in 0..<nz {
        for j in 0..<ny {
            for i in 0..<nx {
                image[i, j, k] = Float(i + 100 * j + 10000 * k)
                let (x, y, z) = (Double(i), Double(j), Double(k))
                let e = pow((x - liverCentre.0) / liverRadii.0, 2) + pow((y - liverCentre.1) / liverRadii.1, 2)
                    + pow((z - liverCentre.2) / liverRadii.2, 2)
                if e <= 1 { labels[i, j, k] = Label.liver }
                if let l = lesion {
                    let d2 = pow(x - l.centre.0, 2) + pow(y - l.centre.1, 2) + pow(z - l.centre.2, 2)
                    if d2 <= l.radius * l.radius { labels[i, j, k] = Label.tumor }
                }
            }
        }
    }
    return (image, labels)
}

/// x[d, h, w] = ((31 d + 17 h + 7 w) mod 23) / 23, the image of scripts/make_sliding_window_fixture.py.
// MARK: - Patch sampler

final class PatchSamplerTests: XCTestCase {
    /// 48x48x96 with the liver in slices 24...72 and a lesion of radius 3.
    private let liverCase = syntheticCase(nx: 48, ny: 48, nz: 96, liverCentre: (24, 24, 48), liverRadii: (14, 12, 24),
                                          lesion: (centre: (20, 24, 60), radius: 3))
    private let patch16 = PatchSize(d: 16, h: 16, w: 16)

    func testLiverBiasedSamplingReachesTheRequestedShares() {
        let (image, labels) = liverCase
        var sampler = PatchSampler(mode: .liverBiased(pLiver: 0.4, pLesion: 0.3), size: patch16, seed: 11)
        var stats = SamplerStats()
        var patches: [SampledPatch] = []
        for _ in 0..<500 {  // 2000 patches, 4 per volume load as in the baseline
            patches += sampler.sample(image: image, labels: labels, count: 4, caseID: "liver", stats: &stats)
        }
        XCTAssertEqual(stats.patches, 2000)
        XCTAssertEqual(stats.share(ofKind: "liver"), 0.4, accuracy: 0.03)
        XCTAssertEqual(stats.share(ofKind: "lesion"), 0.3, accuracy: 0.03)
        XCTAssertEqual(stats.share(ofKind: "uniform"), 0.3, accuracy: 0.03)
        // Every liver- and lesion-centred patch holds its centre; uniform ones add some more.
        XCTAssertGreaterThanOrEqual(stats.withLiver, stats.byKind["liver", default: 0] + stats.byKind["lesion", default: 0])
        XCTAssertGreaterThanOrEqual(stats.liverShare, 0.7 - 0.03)
        XCTAssertGreaterThanOrEqual(stats.withLesion, stats.byKind["lesion", default: 0])
        // Every third of the liver's extent is covered, each by a good share.
        for share in [stats.topShare, stats.middleShare, stats.bottomShare] { XCTAssertGreaterThan(share, 0.15) }
        // Windows are clamped inside the volume, and the centres are where they say.
        for p in patches {
            XCTAssert((0...(96 - 16)).contains(p.origin.k) && (0...32).contains(p.origin.j) && (0...32).contains(p.origin.i))
            let centre = p.labels[8 + 16 * (8 + 16 * 8)]
            if p.kind == "lesion", p.origin.k > 0, p.origin.k < 80, p.origin.j > 0, p.origin.j < 32, p.origin.i > 0, p.origin.i < 32 {
                XCTAssertEqual(centre, Label.tumor)
            }
            XCTAssertEqual(p.liverVoxels, p.labels.filter { $0 >= 1 }.count)
            XCTAssertEqual(p.lesionVoxels, p.labels.filter { $0 == 2 }.count)
        }
        // The recorded stats agree with the patches themselves.
        XCTAssertEqual(stats.withLiver, patches.filter { $0.liverVoxels > 0 }.count)
        XCTAssertEqual(stats.withLesion, patches.filter { $0.lesionVoxels > 0 }.count)
    }

    func testRegionBalancedSamplingSplitsTheLiverShareIntoEqualThirds() {
        let (image, labels) = liverCase
        var sampler = PatchSampler(mode: .regionBalanced(pLiver: 0.6, pLesion: 0.2), size: patch16, seed: 7)
        var stats = SamplerStats()
        var patches: [SampledPatch] = []
        for _ in 0..<500 { patches += sampler.sample(image: image, labels: labels, count: 4, caseID: "liver", stats: &stats) }
        XCTAssertEqual(stats.patches, 2000)
        for third in ["top", "middle", "bottom"] { XCTAssertEqual(stats.share(ofKind: third), 0.2, accuracy: 0.03, third) }
        XCTAssertEqual(stats.share(ofKind: "lesion"), 0.2, accuracy: 0.03)
        XCTAssertEqual(stats.share(ofKind: "uniform"), 0.2, accuracy: 0.03)
        XCTAssertEqual(stats.byKind["liver", default: 0], 0, "every third has liver: no fallback")
        // Each centre is a liver voxel in the third it names, by the thirds evaluation uses.
        let extent = LiverExtent(labels: labels)!
        for p in patches where ["top", "middle", "bottom"].contains(p.kind) {
            let k = p.origin.k + 8  // the window's centre slice
            XCTAssertTrue(p.origin.k > 0 && p.origin.k < 80, "the liver (k 24...72) keeps these windows unclamped along k")
            XCTAssertEqual(extent.region(ofSlice: Double(k)).rawValue, p.kind)
            XCTAssertGreaterThanOrEqual(p.labels[8 + 16 * (8 + 16 * 8)], 1)
        }
        // Liver-biased with the same liver share centres fewer patches in the bottom third: it
        // follows the liver's volume, and the ellipsoid's end thirds hold about 26% of it each.
        var biased = PatchSampler(mode: .liverBiased(pLiver: 0.6, pLesion: 0.2), size: patch16, seed: 7)
        var biasedPatches: [SampledPatch] = []
        for _ in 0..<500 { biasedPatches += biased.sample(image: image, labels: labels, count: 4, caseID: "liver") }
        let biasedBottom = biasedPatches.filter { $0.kind == "liver" && extent.region(ofSlice: Double($0.origin.k + 8)) == .bottom }.count
        XCTAssertEqual(Double(biasedBottom) / 2000, 0.6 * 0.26, accuracy: 0.03)
    }

    func testRegionBalancedIsSeededAndFallsBackOnAShortLiver() {
        let (image, labels) = liverCase
        func run(_ seed: UInt64) -> [SampledPatch] {
            var s = PatchSampler(mode: .regionBalanced(), size: patch16, seed: seed)
            return (0..<10).flatMap { _ in s.sample(image: image, labels: labels, count: 4, caseID: "c") }
        }
        let a = run(5), b = run(5), c = run(6)
        XCTAssertEqual(a.map { [$0.origin.k, $0.origin.j, $0.origin.i] }, b.map { [$0.origin.k, $0.origin.j, $0.origin.i] })
        XCTAssertEqual(a.map(\.kind), b.map(\.kind))
        XCTAssertEqual(a.map(\.labels), b.map(\.labels))
        XCTAssertNotEqual(a.map { [$0.origin.k, $0.origin.j, $0.origin.i] }, c.map { [$0.origin.k, $0.origin.j, $0.origin.i] })
        // A liver one slice thick has only a middle third: the other thirds fall back to any liver voxel.
        let grid = Grid(shape: [20, 20, 20], spacing: [1, 1, 1])
        var flat = LabelMap(grid: grid, repeating: 0)
        for j in 5..<15 { for i in 5..<15 { flat[i, j, 10] = Label.liver } }
        let index = VoxelIndex(labels: flat)
        XCTAssertEqual(index.liverByRegion[.middle]?.count, 100)
        XCTAssertEqual(index.liverByRegion[.top]?.count, 0)
        var s = PatchSampler(mode: .regionBalanced(pLiver: 1, pLesion: 0), size: PatchSize(d: 8, h: 8, w: 8), seed: 1)
        var stats = SamplerStats()
        _ = s.sample(image: Volume<Float>(grid: grid, repeating: 0), labels: flat, count: 300, stats: &stats)
        XCTAssertEqual(stats.withLiver, 300)
        XCTAssertEqual(Set(stats.byKind.keys), ["middle", "liver"])
        XCTAssertNotNil(SamplingMode.regionBalanced(pLiver: 0.8, pLesion: 0.3).problem)
    }

    func testVoxelIndexSplitsTheLiverIntoTheThirdsOfItsExtent() {
        let (_, labels) = liverCase
        let index = VoxelIndex(labels: labels)
        let extent = index.extent!
        let plane = 48 * 48
        var total = 0
        for region in LiverRegion.allCases {
            let range = index.liverByRegion[region]!
            total += range.count
            XCTAssertFalse(range.isEmpty)
            XCTAssert(range.allSatisfy { extent.region(ofSlice: Double(Int(index.liver[$0]) / plane)) == region })
        }
        XCTAssertEqual(total, index.liver.count)
    }

    func testUniformSamplingGivesTheVolumesLiverShare() {
        // 24x24x100, patch 24x24x16 (whole slices): a random slab of 16 slices. The liver fills
        // slices 40...59, so a slab starting at k0 in 0...84 holds liver when 25 <= k0 <= 59.
        let grid = Grid(shape: [24, 24, 100], spacing: [1, 1, 1])
        var labels = LabelMap(grid: grid, repeating: 0)
        for k in 40...59 { for j in 8..<16 { for i in 4..<12 { labels[i, j, k] = Label.liver } } }
        let image = Volume<Float>(grid: grid, repeating: 0.5)
        var sampler = PatchSampler(mode: .uniform, size: PatchSize(d: 16, h: 24, w: 24), seed: 3)
        var stats = SamplerStats()
        let patches = sampler.sample(image: image, labels: labels, count: 2000, caseID: "u", stats: &stats)
        XCTAssertEqual(stats.byKind, ["uniform": 2000])
        XCTAssertEqual(stats.liverShare, 35.0 / 85.0, accuracy: 0.03)
        XCTAssertEqual(stats.lesionShare, 0)
        XCTAssert(patches.allSatisfy { $0.origin.i == 0 && $0.origin.j == 0 && (0...84).contains($0.origin.k) })
        // Both ends of the slab range are reached.
        XCTAssertEqual(patches.map(\.origin.k).min(), 0)
        XCTAssertEqual(patches.map(\.origin.k).max(), 84)
    }

    func testBaselinePatchCoversWholeSlicesOfA168Volume() {
        let grid = Grid(shape: [168, 168, 40], spacing: [1, 1, 2])
        var sampler = PatchSampler(mode: .uniform, size: .baseline, seed: 1)
        let p = sampler.sample(image: Volume<Float>(grid: grid, repeating: 0), labels: LabelMap(grid: grid, repeating: 0), count: 3)
        XCTAssert(p.allSatisfy { $0.origin.i == 0 && $0.origin.j == 0 && $0.image.count == 168 * 168 * 16 })
        XCTAssertEqual(PatchSize.baseline.description, "168x168x16")
        XCTAssertEqual(PatchSampler.baselineVolumesPerBatch * PatchSampler.baselinePatchesPerVolume, 12)
    }

    func testSameSeedSamePatches() {
        let (image, labels) = liverCase
        func run(_ seed: UInt64) -> [SampledPatch] {
            var s = PatchSampler(mode: .liverBiased(pLiver: 0.4, pLesion: 0.3), size: patch16, seed: seed)
            return (0..<5).flatMap { _ in s.sample(image: image, labels: labels, count: 4, caseID: "c") }
        }
        let a = run(42), b = run(42), c = run(43)
        XCTAssertEqual(a.map { [$0.origin.k, $0.origin.j, $0.origin.i] }, b.map { [$0.origin.k, $0.origin.j, $0.origin.i] })
        XCTAssertEqual(a.map(\.kind), b.map(\.kind))
        XCTAssertEqual(a.map(\.image), b.map(\.image))
        XCTAssertEqual(a.map(\.labels), b.map(\.labels))
        XCTAssertNotEqual(a.map { [$0.origin.k, $0.origin.j, $0.origin.i] }, c.map { [$0.origin.k, $0.origin.j, $0.origin.i] })
        // Without a case id (index rebuilt each call) the patches are the same too.
        var s = PatchSampler(mode: .liverBiased(pLiver: 0.4, pLesion: 0.3), size: patch16, seed: 42)
        let d = (0..<5).flatMap { _ in s.sample(image: image, labels: labels, count: 4) }
        XCTAssertEqual(a.map(\.image), d.map(\.image))
    }

    func testVoxelIndexIsCachedByCase() {
        let (_, labels) = liverCase
        var sampler = PatchSampler(mode: .liverBiased(), size: patch16, seed: 0)
        let index = sampler.index(for: labels, caseID: "liver")
        let counts = labels.labelCounts()
        XCTAssertEqual(index.liver.count, counts[1] + counts[2])
        XCTAssertEqual(index.lesion.count, counts[2])
        XCTAssertEqual(index.extent, LiverExtent(labels: labels))
        XCTAssert(index.lesion.allSatisfy { labels.voxels[Int($0)] == 2 })
        // A second case under the same id with another shape is re-indexed, not confused.
        let other = LabelMap(grid: Grid(shape: [4, 4, 4], spacing: [1, 1, 1]), repeating: 1)
        XCTAssertEqual(sampler.index(for: other, caseID: "liver").liver.count, 64)
        if case .liverBiased(let pl, let pt) = SamplingMode.liverBiased() {
            XCTAssertEqual(pl, 0.4)
            XCTAssertEqual(pt, 0.3)
        }
        XCTAssertNotNil(SamplingMode.liverBiased(pLiver: 0.8, pLesion: 0.3).problem)
        XCTAssertNil(SamplingMode.uniform.problem)
    }

    func testFallbacksWithoutLesionOrLiver() {
        let noLesion = syntheticCase(nx: 20, ny: 20, nz: 20, liverCentre: (10, 10, 10), liverRadii: (5, 5, 5), lesion: nil)
        var sampler = PatchSampler(mode: .liverBiased(pLiver: 0, pLesion: 1), size: PatchSize(d: 8, h: 8, w: 8), seed: 5)
        var stats = SamplerStats()
        _ = sampler.sample(image: noLesion.0, labels: noLesion.1, count: 50, stats: &stats)
        XCTAssertEqual(stats.byKind, ["liver": 50])
        XCTAssertEqual(stats.withLiver, 50)
        let empty = LabelMap(grid: noLesion.1.grid, repeating: 0)
        var stats2 = SamplerStats()
        _ = sampler.sample(image: noLesion.0, labels: empty, count: 20, stats: &stats2)
        XCTAssertEqual(stats2.byKind, ["uniform": 20])
        XCTAssertEqual(stats2.coveringTop + stats2.coveringMiddle + stats2.coveringBottom, 0)
        // Stats merge.
        let merged = stats + stats2
        XCTAssertEqual(merged.patches, 70)
        XCTAssertEqual(merged.byKind, ["liver": 50, "uniform": 20])
        XCTAssertEqual(merged.liverShare, 50.0 / 70.0, accuracy: 1e-12)
        let data = try! JSONEncoder().encode(merged)
        XCTAssertEqual(try! JSONDecoder().decode(SamplerStats.self, from: data), merged)
    }

    func testVolumeSmallerThanThePatchIsCentredAndZeroPadded() {
        // 10x12x5 (i, j, k) in a 16x16x8 patch: (8-5)/2 = 1 slice, (16-12)/2 = 2 rows and
        // (16-10)/2 = 3 columns of padding before the volume.
        let (image, labels) = syntheticCase(nx: 10, ny: 12, nz: 5, liverCentre: (5, 6, 2), liverRadii: (3, 3, 2),
                                            lesion: (centre: (5, 6, 2), radius: 1))
        for mode in [SamplingMode.uniform, .liverBiased(pLiver: 0.5, pLesion: 0.5)] {
            var sampler = PatchSampler(mode: mode, size: PatchSize(d: 8, h: 16, w: 16), seed: 9)
            sampler.padValue = -1
            for p in sampler.sample(image: image, labels: labels, count: 6) {
                XCTAssertEqual(p.origin.k, -1)
                XCTAssertEqual(p.origin.j, -2)
                XCTAssertEqual(p.origin.i, -3)
                func at(_ kk: Int, _ jj: Int, _ ii: Int) -> Int { ii + 16 * (jj + 16 * kk) }
                XCTAssertEqual(p.image[at(1, 2, 3)], image[0, 0, 0])
                XCTAssertEqual(p.image[at(5, 13, 12)], image[9, 11, 4])
                XCTAssertEqual(p.image[at(0, 5, 5)], -1)  // padding slice before
                XCTAssertEqual(p.image[at(6, 5, 5)], -1)  // padding slices after (8 - 5 - 1 = 2)
                XCTAssertEqual(p.image[at(3, 1, 5)], -1)
                XCTAssertEqual(p.image[at(3, 5, 13)], -1)
                XCTAssertEqual(p.labels[at(0, 5, 5)], 0)
                XCTAssertEqual(p.labels[at(1 + 2, 2 + 6, 3 + 5)], Label.tumor)
                XCTAssertEqual(p.image.filter { $0 == -1 }.count, 16 * 16 * 8 - 10 * 12 * 5)
            }
        }
    }

    func testBatchLayout() {
        let (image, labels) = liverCase
        let size = PatchSize(d: 4, h: 6, w: 8)
        var sampler = PatchSampler(mode: .liverBiased(pLiver: 0, pLesion: 1), size: size, seed: 2)
        let patches = sampler.sample(image: image, labels: labels, count: 3)
        let (x, y) = PatchSampler.makeBatch(patches, size: size)
        XCTAssertEqual(x.shape, [3, 1, 4, 6, 8])
        XCTAssertEqual(y.shape, [3, 2, 4, 6, 8])
        // Voxel (n = 2, kk = 3, jj = 1, ii = 5) is volume voxel origin + (5, 1, 3).
        let p = patches[2]
        let (i, j, k) = (p.origin.i + 5, p.origin.j + 1, p.origin.k + 3)
        let xs = x.strides, ys = y.strides
        XCTAssertEqual(x.data[2 * xs[0] + 3 * xs[2] + 1 * xs[3] + 5 * xs[4]], image[i, j, k])
        XCTAssertEqual(image[i, j, k], Float(i + 100 * j + 10000 * k))
        // Lesion-centred: the centre voxel (kk 2, jj 3, ii 4) is tumor, so both targets are 1.
        XCTAssertEqual(labels[p.origin.i + 4, p.origin.j + 3, p.origin.k + 2], Label.tumor)
        XCTAssertEqual(y.data[2 * ys[0] + 0 * ys[1] + 2 * ys[2] + 3 * ys[3] + 4 * ys[4]], 1)
        XCTAssertEqual(y.data[2 * ys[0] + 1 * ys[1] + 2 * ys[2] + 3 * ys[3] + 4 * ys[4]], 1)
        // Every target voxel follows its label: channel 0 label >= 1, channel 1 label == 2.
        for (n, q) in patches.enumerated() {
            for v in 0..<size.count {
                XCTAssertEqual(y.data[n * ys[0] + v], q.labels[v] >= 1 ? 1 : 0)
                XCTAssertEqual(y.data[n * ys[0] + ys[1] + v], q.labels[v] == 2 ? 1 : 0)
                XCTAssertEqual(x.data[n * xs[0] + v], q.image[v])
            }
        }
        // A liver (label 1) voxel in a patch: channel 0 only.
        if let v = patches[0].labels.firstIndex(of: Label.liver) {
            XCTAssertEqual(y.data[v], 1)
            XCTAssertEqual(y.data[ys[1] + v], 0)
        } else {
            XCTFail("a lesion-centred 8x6x4 patch should touch plain liver")
        }
    }
}

