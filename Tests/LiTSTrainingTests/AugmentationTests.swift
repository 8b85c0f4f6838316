import Foundation
import XCTest
import LiTSCore
import LiTSInference
import LiTSNet
@testable import LiTSTraining

/// A 40x40x24 volume: smooth background ramp, a bright labelled cube (liver, 1) with a labelled
/// lesion (2) in one corner of it, so moves of the image and of the labels can be compared.
private func cubeCase() -> (Volume<Float>, LabelMap) {
    let grid = Grid(shape: [40, 40, 24], spacing: [1, 1, 1])
    var image = Volume<Float>(grid: grid, repeating: 0)
    var labels = LabelMap(grid: grid, repeating: 0)
    for k in 0..<24 { for j in 0..<40 { for i in 0..<40 {
        image[i, j, k] = 0.1 + 0.002 * Float(i + j + k)
        if 12..<26 ~= i, 14..<28 ~= j, 6..<16 ~= k { image[i, j, k] = 0.9; labels[i, j, k] = 1 }
        if 12..<17 ~= i, 14..<19 ~= j, 6..<10 ~= k { labels[i, j, k] = 2 }
    } } }
    return (image, labels)
}

final class AugmentationTests: XCTestCase {
    private let (image, labels) = cubeCase()
    private let size = PatchSize(d: 16, h: 24, w: 24)

    /// The patch the sampler cuts at a fixed origin (liver-centred, fully inside).
    private func cutPatch(origin: (k: Int, j: Int, i: Int) = (4, 8, 8)) -> SampledPatch {
        var img = [Float](), lab = [UInt8]()
        for kk in 0..<size.d { for jj in 0..<size.h { for ii in 0..<size.w {
            img.append(image[origin.i + ii, origin.j + jj, origin.k + kk])
            lab.append(labels[origin.i + ii, origin.j + jj, origin.k + kk])
        } } }
        return SampledPatch(image: img, labels: lab, origin: origin, kind: "liver", size: size,
                            liverVoxels: lab.filter { $0 >= 1 }.count, lesionVoxels: lab.filter { $0 == 2 }.count)
    }

    /// Every transform always on.
    private func everything(_ patch: PatchSize) -> AugmentationOptions {
        var o = AugmentationOptions.nnUNetDefault(patch: patch)
        for name in AugmentationOptions.Name.allCases { o[name].probability = 1 }
        o.elastic.range = .init(0, 3)
        return o
    }

    // MARK: - Identity at zero strength

    func testEveryTransformIsTheIdentityAtZeroStrength() {
        let patch = cutPatch()
        var o = AugmentationOptions.off(patch: size)
        for name in AugmentationOptions.Name.allCases where name != .mirror { o[name].probability = 1 }
        o.rotation.range = .init(0, 0)
        o.scaling.range = .init(1, 1)
        o.elastic.range = .init(0, 0)
        o.noise.range = .init(0, 0)
        o.blur.range = .init(0, 0)
        for name in [AugmentationOptions.Name.brightness, .contrast, .gamma, .gammaInverted, .lowResolution] { o[name].range = .init(1, 1) }
        let (out, applied) = Augmenter(options: o).augment(patch, image: image, labels: labels, seed: 5)
        XCTAssertEqual(applied.count, 10, "every transform but mirroring fired: \(applied)")
        XCTAssertEqual(out.image, patch.image)
        XCTAssertEqual(out.labels, patch.labels)
    }

    func testEachTransformAloneIsTheIdentityAtZeroStrength() {
        let patch = cutPatch()
        let identity = SpatialResampling.identity.resample(image: image, labels: labels, origin: patch.origin, size: size, padValue: 0)
        XCTAssertEqual(identity.image, patch.image, "resampling through the identity is the cut patch")
        XCTAssertEqual(identity.labels, patch.labels)
        var rng = SeededGenerator(seed: 1)
        let zero = ElasticField(size: size, magnitude: 0, spacing: 10, inPlaneOnly: false, rng: &rng)
        let still = SpatialResampling(matrix: SpatialResampling.identity.matrix, displacement: zero)
            .resample(image: image, labels: labels, origin: patch.origin, size: size, padValue: 0)
        XCTAssertEqual(still.image, patch.image)
        func unchanged(_ f: (inout [Float]) -> Void, _ what: String) {
            var x = patch.image
            f(&x)
            XCTAssertEqual(x, patch.image, what)
        }
        unchanged({ GaussianNoise.apply(&$0, sigma: 0, rng: &rng) }, "noise 0")
        unchanged({ GaussianBlur.apply(&$0, size: size, sigma: (0, 0, 0)) }, "blur 0")
        unchanged({ Brightness.apply(&$0, multiplier: 1) }, "brightness 1")
        unchanged({ Contrast.apply(&$0, factor: 1) }, "contrast 1")
        unchanged({ Gamma.apply(&$0, gamma: 1, inverted: false) }, "gamma 1")
        unchanged({ Gamma.apply(&$0, gamma: 1, inverted: true) }, "inverted gamma 1")
        unchanged({ LowResolution.apply(&$0, size: size, zoom: 1, inPlaneOnly: false) }, "low resolution 1")
        unchanged({ Mirror.apply(&$0, size: size, i: false, j: false, k: false) }, "no mirror")
    }

    func testOffNeverTouchesAPatchAndOldConfigsReadAsOff() throws {
        XCTAssertTrue(AugmentationOptions.off(patch: size).isOff)
        XCTAssertFalse(AugmentationOptions.nnUNetDefault(patch: size).isOff)
        XCTAssertEqual(TrainOptions().augmentation, .off)
        // A config.json from before augmentation existed: no "augmentation" key.
        var json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(TrainOptions())) as! [String: Any]
        json.removeValue(forKey: "augmentation")
        let old = try JSONDecoder().decode(TrainOptions.self, from: JSONSerialization.data(withJSONObject: json))
        XCTAssertEqual(old.augmentation, .off)
        XCTAssertEqual(old, TrainOptions())
        var on = TrainOptions()
        on.augmentation = .nnUNetDefault(patch: on.patch)
        XCTAssertEqual(try JSONDecoder().decode(TrainOptions.self, from: JSONEncoder().encode(on)), on, "the settings round-trip")
    }

    // MARK: - Labels

    func testLabelsStayInTheLabelSetUnderEveryTransform() {
        let augmenter = Augmenter(options: everything(size))
        var seen = Set<UInt8>()
        for seed in 0..<40 {
            let (out, _) = augmenter.augment(cutPatch(), image: image, labels: labels, seed: UInt64(seed))
            seen.formUnion(out.labels)
            XCTAssertTrue(out.image.allSatisfy(\.isFinite))
        }
        XCTAssertEqual(seen, [0, 1, 2])
    }

    // MARK: - Image and labels move together

    func testTheBrightCubeMovesWithItsLabel() {
        var o = AugmentationOptions.off(patch: size)
        o.inPlaneOnly = false
        for name in [AugmentationOptions.Name.rotation, .scaling, .elastic, .mirror] { o[name].probability = 1 }
        o.rotation.range = .init(-30, 30)
        o.elastic.range = .init(0, 3)
        let augmenter = Augmenter(options: o)
        let before = cutPatch()
        for seed in 0..<20 {
            let (out, applied) = augmenter.augment(before, image: image, labels: labels, seed: UInt64(seed))
            XCTAssertTrue(applied.contains("rotation"))
            // Bright (image > 0.5) and labelled (>= 1) voxels coincide but for the trilinear edge.
            var agree = 0, bright = 0, labelled = 0
            for n in out.image.indices {
                let b = out.image[n] > 0.5, l = out.labels[n] >= 1
                if b == l { agree += 1 }
                if b { bright += 1 }
                if l { labelled += 1 }
            }
            XCTAssertGreaterThan(Double(agree) / Double(out.image.count), 0.98, "seed \(seed): \(applied)")
            XCTAssertEqual(Double(bright), Double(labelled), accuracy: 0.05 * Double(labelled), "seed \(seed)")
        }
    }

    /// The cascade's second input (the liver mask) moves with the image and the labels under the
    /// spatial transforms and mirroring, and no intensity transform touches it.
    func testAnExtraChannelMovesWithTheImage() {
        let mask = Volume<Float>(grid: labels.grid, voxels: labels.voxels.map { $0 >= 1 ? 1 : 0 })
        var before = cutPatch()
        before.extraChannels = [before.labels.map { $0 >= 1 ? 1 : 0 }]
        let augmenter = Augmenter(options: everything(size))
        for seed in 0..<10 {
            let (out, applied) = augmenter.augment(before, image: image, labels: labels, seed: UInt64(seed), extraChannels: [mask])
            XCTAssertTrue(applied.contains("rotation") && applied.contains("brightness"), "\(applied)")
            let channel = out.extraChannels[0]
            XCTAssertTrue(channel.allSatisfy { (0...1).contains($0) }, "no intensity transform on the mask")
            var agree = 0
            for n in channel.indices where (channel[n] > 0.5) == (out.labels[n] >= 1) { agree += 1 }
            XCTAssertGreaterThan(Double(agree) / Double(channel.count), 0.98, "seed \(seed): \(applied)")
        }
    }

    func testAMirroredPatchCarriesItsLesionToTheOtherSide() {
        var o = AugmentationOptions.off(patch: size)
        o.mirror.probability = 1
        let before = cutPatch(), (after, applied) = Augmenter(options: o).augment(before, image: image, labels: labels, seed: 3)
        XCTAssertEqual(applied, ["mirror ijk"])
        let (w, h, d) = (size.w, size.h, size.d)
        for kk in 0..<d { for jj in 0..<h { for ii in 0..<w {
            let mirrored = (w - 1 - ii) + w * ((h - 1 - jj) + h * (d - 1 - kk))
            XCTAssertEqual(after.labels[ii + w * (jj + h * kk)], before.labels[mirrored])
            XCTAssertEqual(after.image[ii + w * (jj + h * kk)], before.image[mirrored])
        } } }
        XCTAssertEqual(after.lesionVoxels, before.lesionVoxels)
    }

    /// A quarter turn about k maps patch voxel (i, j) to (j, w-1-i) about the centre, for the image
    /// and the labels alike, with content read from the volume (not zeros) where the volume has it.
    func testAQuarterTurnRotatesImageAndLabelsAboutTheCentre() {
        let square = PatchSize(d: 8, h: 24, w: 24)
        let origin = (k: 8, j: 8, i: 8)
        let spatial = SpatialResampling(matrix: SpatialResampling.matrix(degrees: (0, 0, 90), zoom: (1, 1, 1)), displacement: nil)
        let out = spatial.resample(image: image, labels: labels, origin: origin, size: square, padValue: -1)
        for kk in 0..<8 { for jj in 0..<24 { for ii in 0..<24 {
            // Offset u from the centre 11.5 goes to R u: (i, j) -> (-(j - 11.5), i - 11.5).
            let si = origin.i + Int((11.5 - (Double(jj) - 11.5)).rounded()), sj = origin.j + ii
            let t = ii + 24 * (jj + 24 * kk)
            XCTAssertEqual(out.labels[t], labels[si, sj, origin.k + kk])
            XCTAssertEqual(out.image[t], image[si, sj, origin.k + kk], accuracy: 1e-5)
        } } }
        XCTAssertFalse(out.image.contains(-1), "a window inside the volume reads only the volume")
    }

    func testZoomingOutReadsRealAnatomyBeyondThePatch() {
        // Half the patch (11.5 voxels) / 0.9 x (cos 30 + sin 30) = 17.5 voxels about the centre
        // (19.5): the rotated, zoomed-out window reaches 2...37 of the 40-voxel volume.
        let spatial = SpatialResampling(matrix: SpatialResampling.matrix(degrees: (0, 0, 30), zoom: (0.9, 0.9, 1)), displacement: nil)
        let out = spatial.resample(image: image, labels: labels, origin: (4, 8, 8), size: size, padValue: -1)
        XCTAssertFalse(out.image.contains(-1), "the corners come from the volume around the patch")
        XCTAssertGreaterThan(out.labels.filter { $0 >= 1 }.count, 0)
    }

    // MARK: - Intensity transforms do what they say

    func testIntensityTransformsKeepTheirInvariants() {
        let patch = cutPatch().image
        let count = Double(patch.count)
        func mean(_ x: [Float]) -> Double { x.reduce(0.0) { $0 + Double($1) } / count }
        func sd(_ x: [Float]) -> Double { let m = mean(x); return (x.reduce(0.0) { $0 + (Double($1) - m) * (Double($1) - m) } / count).squareRoot() }

        var rng = SeededGenerator(seed: 9)
        var noisy = patch
        GaussianNoise.apply(&noisy, sigma: 0.05, rng: &rng)
        XCTAssertEqual(sd(zip(noisy, patch).map { $0 - $1 }), 0.05, accuracy: 0.002)

        var bright = patch
        Brightness.apply(&bright, multiplier: 1.2)
        XCTAssertEqual(mean(bright), 1.2 * mean(patch), accuracy: 1e-5)

        var stretched = patch
        Contrast.apply(&stretched, factor: 0.8)
        XCTAssertEqual(mean(stretched), mean(patch), accuracy: 1e-5, "lower contrast clips nothing: the mean stays")
        XCTAssertEqual(sd(stretched), 0.8 * sd(patch), accuracy: 1e-4)
        Contrast.apply(&stretched, factor: 3)
        XCTAssertGreaterThanOrEqual(stretched.min()!, patch.min()!, "preserve_range")
        XCTAssertLessThanOrEqual(stretched.max()!, patch.max()!)

        for inverted in [false, true] {
            var g = patch
            Gamma.apply(&g, gamma: 1.4, inverted: inverted)
            XCTAssertNotEqual(g, patch)
            XCTAssertEqual(mean(g), mean(patch), accuracy: 1e-5, "retain_stats")
            XCTAssertEqual(sd(g), sd(patch), accuracy: 1e-5)
        }

        var blurred = patch
        GaussianBlur.apply(&blurred, size: size, sigma: (1, 1, 1))
        XCTAssertLessThan(sd(blurred), sd(patch))
        XCTAssertEqual(mean(blurred), mean(patch), accuracy: 0.01)
        var flat = [Float](repeating: 0.3, count: size.count)
        GaussianBlur.apply(&flat, size: size, sigma: (0.7, 1, 0.5))
        LowResolution.apply(&flat, size: size, zoom: 0.5, inPlaneOnly: false)
        XCTAssertTrue(flat.allSatisfy { abs($0 - 0.3) < 1e-6 }, "a constant stays constant")

        var coarse = patch
        LowResolution.apply(&coarse, size: size, zoom: 0.5, inPlaneOnly: true)
        XCTAssertNotEqual(coarse, patch)
        XCTAssertEqual(mean(coarse), mean(patch), accuracy: 0.02)
    }

    /// The kernel and reflected borders of scipy.ndimage.gaussian_filter(x, sigma, mode="reflect",
    /// truncate=4.0) on a 1D impulse next to the border (values worked out from its definition).
    func testBlurKernelAndBordersFollowScipy() {
        let k = GaussianBlur.kernel(sigma: 1)
        XCTAssertEqual(k.count, 9)
        XCTAssertEqual(Double(k.reduce(0, +)), 1, accuracy: 1e-6)
        XCTAssertEqual(Double(k[4]), 0.39894, accuracy: 1e-4)
        XCTAssertEqual([-3, -1, 0, 5, 6, 7].map { GaussianBlur.reflect($0, 5) }, [2, 0, 0, 4, 3, 2])
        // An impulse at index 0 of a 5-voxel line: the reflected copy adds the mirror tail.
        var line = [Float](repeating: 0, count: 5)
        line[0] = 1
        GaussianBlur.apply(&line, size: PatchSize(d: 1, h: 1, w: 5), sigma: (1, 0, 0))
        XCTAssertEqual(Double(line[0]), Double(k[4] + k[3]), accuracy: 1e-6)
        XCTAssertEqual(Double(line[1]), Double(k[5] + k[2]), accuracy: 1e-6)
    }

    // MARK: - Seeds

    func testTheSameSeedGivesTheSamePatchAndAnotherSeedAnother() {
        let augmenter = Augmenter(options: .nnUNetDefault(patch: size))
        let patch = cutPatch()
        var distinct = 0
        for seed in 0..<20 {
            let a = augmenter.augment(patch, image: image, labels: labels, seed: UInt64(seed))
            let b = augmenter.augment(patch, image: image, labels: labels, seed: UInt64(seed))
            XCTAssertEqual(a.patch.image, b.patch.image)
            XCTAssertEqual(a.patch.labels, b.patch.labels)
            XCTAssertEqual(a.applied, b.applied)
            let c = augmenter.augment(patch, image: image, labels: labels, seed: UInt64(seed) + 1000)
            if c.patch.image != a.patch.image { distinct += 1 }
        }
        XCTAssertGreaterThan(distinct, 15)
        // In parallel, patch n with seed n: the same as one at a time.
        let patches = [cutPatch(), cutPatch(origin: (2, 4, 6)), cutPatch(origin: (6, 10, 12))]
        let together = augmenter.augment(patches, image: image, labels: labels, seeds: [7, 8, 9])
        for n in 0..<3 {
            XCTAssertEqual(together[n].image, augmenter.augment(patches[n], image: image, labels: labels, seed: UInt64(7 + n)).patch.image)
        }
    }

    func testDefaultsFollowNNUNet() {
        let flat = AugmentationOptions.nnUNetDefault(patch: PatchSize(d: 16, h: 96, w: 96))
        XCTAssertTrue(flat.inPlaneOnly, "96/16 > 3: nnU-Net's dummy 2D")
        XCTAssertEqual(flat.rotation.range, .init(-180, 180))
        let cube = AugmentationOptions.nnUNetDefault(patch: PatchSize(d: 64, h: 64, w: 64))
        XCTAssertFalse(cube.inPlaneOnly)
        XCTAssertEqual(cube.rotation.range, .init(-30, 30))
        XCTAssertEqual(cube.scaling, .init(0.2, .init(0.7, 1.4)))
        XCTAssertEqual(cube.elastic.probability, 0)
        XCTAssertNil(cube.problem)
        var bad = cube
        bad.lowResolution.range = .init(0.5, 2)
        XCTAssertNotNil(bad.problem)
    }
}
