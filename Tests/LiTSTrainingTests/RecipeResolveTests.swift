import XCTest
import LiTSImaging
import LiTSInference
@testable import LiTSTraining

/// `TrainChoices.resolve`: what each recipe sets, that a given option wins, and when the dataset
/// fingerprint's spacing is read.
final class RecipeResolveTests: XCTestCase {
    func testBaselineIsTheKerasBaseline() throws {
        var c = TrainChoices()
        c.recipe = .baseline
        let (o, pre) = try c.resolve(fingerprintSpacing: { XCTFail("the baseline has a fixed grid"); return nil })
        XCTAssertEqual(o.patch, PatchSize(d: 16, h: 168, w: 168))
        XCTAssertEqual(o.model.filters, [64, 128, 256, 256])
        XCTAssertEqual([o.volumesPerBatch, o.patchesPerVolume, o.epochs, o.batchesPerEpoch], [3, 4, 20, 50])
        XCTAssertEqual(o.sampling, .uniform)
        XCTAssertTrue(o.augmentation.isOff)
        XCTAssertEqual(o.loss, .jaccard)
        XCTAssertEqual(o.learningRate, 1e-3)
        XCTAssertEqual(o.lrSchedule, .plateau)
        XCTAssertEqual(o.lrFactor, 0.5)
        XCTAssertEqual(o.lrPatience, 3)
        XCTAssertEqual(pre.window, HUWindow(low: -100, high: 400))
        XCTAssertEqual(pre.inPlaneSize, [168, 168])
        XCTAssertEqual(pre.sliceSpacing, 2)
        XCTAssertNil(pre.targetSpacing)
        XCTAssertNotEqual(pre.cropToBody, true)
        XCTAssertEqual(o.recipe, RecipeRecord(name: .baseline, settings: Recipe.baseline.settings, overrides: []))
    }

    func testDefaultRecipeAndGivenOptionsWin() throws {
        var c = TrainChoices()
        var asked = 0
        var (o, pre) = try c.resolve(fingerprintSpacing: { asked += 1; return [0.8, 0.8, 2.5] })
        XCTAssertEqual(asked, 1)
        XCTAssertEqual(pre.targetSpacing, [0.8, 0.8, 2.5])
        XCTAssertEqual(pre.cropToBody, true)
        XCTAssertEqual(o.recipe?.name, .default)
        XCTAssertEqual(o.sampling, .regionBalanced(pLiver: 0.4, pLesion: 0.3))
        XCTAssertEqual(o.lrSchedule, .poly)
        XCTAssertEqual(o.learningRate, 3e-3)
        XCTAssertEqual(o.augmentation.brightness.probability, 0.5)
        XCTAssertEqual(o.augmentation.brightness.range.low, 0.6)
        XCTAssertEqual(o.augmentation.brightness.range.high, 1.4)
        XCTAssertEqual(o.augmentation.rotation.probability, 0.2, "nnU-Net's others unchanged")

        // Given options win; --size leaves the fixed grid and no fingerprint is read.
        c.inPlaneSize = [128, 128]
        c.pLiver = 0.2
        c.lrSchedule = .plateau
        c.augment = AugmentationPreset.none
        c.aug = [AugmentOverride(name: .mirror, probability: 0.5, range: nil)]
        c.epochs = 3
        (o, pre) = try c.resolve(fingerprintSpacing: { XCTFail("--size was given"); return nil })
        XCTAssertNil(pre.targetSpacing)
        XCTAssertEqual(pre.inPlaneSize, [128, 128])
        XCTAssertEqual(o.sampling, .regionBalanced(pLiver: 0.2, pLesion: 0.3), "the recipe's mode with the given share")
        XCTAssertEqual(o.lrSchedule, .plateau)
        XCTAssertEqual(o.augmentation.mirror.probability, 0.5)
        XCTAssertEqual(o.augmentation.rotation.probability, 0, "--augment none over the recipe's preset")
        XCTAssertEqual(o.epochs, 3)
        XCTAssertEqual(o.recipe?.overrides, ["--epochs 3", "--p-liver 0.2", "--augment none", "--aug mirror=0.5",
                                             "--lr-schedule plateau", "--size 128x128"])
        XCTAssertEqual(c.givenExceptEpochs.first, "--p-liver 0.2")
        c.recipe = .default
        XCTAssertEqual(c.givenExceptEpochs.first, "--recipe default", "--resume refuses a recipe too")
    }

    /// nnU-Net's target spacing rule, as `lits eda`'s fingerprint applies it.
    func testFingerprintTargetSpacing() {
        XCTAssertEqual(Recipe.targetSpacing([[1.5, 1.5, 2], [0.7, 0.7, 2], [0.8, 0.8, 2.5]]), [0.8, 0.8, 2], "the median per axis")
        // z's median 5 is more than 3x the finest (0.8): its 10th percentile instead, 1 + 0.2 x (5 - 1).
        XCTAssertEqual(Recipe.targetSpacing([[0.8, 0.8, 5], [0.7, 0.7, 5], [0.9, 0.9, 1]]), [0.8, 0.8, 1.8])
    }
}

/// config.json spells the sampling mode as the CLI does, and still reads the Swift case names
/// of runs written before.
final class SamplingModeCodingTests: XCTestCase {
    func testSpelledAsTheCLIAndOldConfigsRead() throws {
        let json = String(decoding: try JSONEncoder().encode(SamplingMode.liverBiased(pLiver: 0.5, pLesion: 0.25)), as: UTF8.self)
        XCTAssertTrue(json.hasPrefix(#"{"liver-biased":{"#), json)
        for (text, mode) in [(#"{"liverBiased":{"pLiver":0.4,"pLesion":0.3}}"#, SamplingMode.liverBiased(pLiver: 0.4, pLesion: 0.3)),
                             (#"{"regionBalanced":{"pLiver":0.2,"pLesion":0.1}}"#, .regionBalanced(pLiver: 0.2, pLesion: 0.1)),
                             (#"{"region-balanced":{"pLiver":0.2,"pLesion":0.1}}"#, .regionBalanced(pLiver: 0.2, pLesion: 0.1)),
                             (#"{"uniform":{}}"#, .uniform)] {
            XCTAssertEqual(try JSONDecoder().decode(SamplingMode.self, from: Data(text.utf8)), mode, text)
        }
        for mode in [SamplingMode.uniform, .liverBiased(pLiver: 0.4, pLesion: 0.3), .regionBalanced(pLiver: 0.6, pLesion: 0.2)] {
            XCTAssertEqual(try JSONDecoder().decode(SamplingMode.self, from: JSONEncoder().encode(mode)), mode)
        }
        XCTAssertThrowsError(try JSONDecoder().decode(SamplingMode.self, from: Data(#"{"random":{}}"#.utf8)))
    }
}
