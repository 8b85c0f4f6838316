import Foundation
import XCTest
import LiTSCore
import LiTSInference
import LiTSRender
@testable import LiTSTraining

/// The tiles of the augmentation montage: what each says about its patch, and where the drawing
/// puts (or leaves out) its letters and scale bar.
final class AugmentationMontageTests: XCTestCase {
    /// A 16 x 16 x 4 patch cut at k 10 of a grid of 0.8 x 0.8 x 2.5 mm voxels, liver in its middle.
    let grid = Grid(shape: [32, 32, 20], spacing: [0.8, 0.8, 2.5])
    var patch: SampledPatch {
        let size = PatchSize(d: 4, h: 16, w: 16)
        let labels = (0..<(16 * 16 * 4)).map { n -> UInt8 in (4..<12 ~= n % 16 && 4..<12 ~= (n / 16) % 16) ? 1 : 0 }
        return SampledPatch(image: (0..<(16 * 16 * 4)).map { Float($0 % 16) / 15 }, labels: labels, origin: (k: 8, j: 0, i: 0),
                            kind: "liver", size: size, liverVoxels: 256, lesionVoxels: 0)
    }

    func testAPatchAsCutHasItsSliceLettersAndAScaleBarInMM() {
        let t = AugmentationMontage.before(patch, pair: 3, grid: grid)
        XCTAssertEqual(t.title, "3: as cut (liver)")
        XCTAssertEqual(t.reason, "axial k=10, z=25.0 mm", "the slice's index and position in the case")
        XCTAssertEqual(t.edges, ["R", "L", "A", "P"])
        XCTAssertEqual(t.spacing, [0.8, 0.8])
        XCTAssertEqual(t.layers.map(\.name), ["liver", "tumour"])
        let g = MontageLayout(MontageFigure(tiles: [t], columns: 1, tileHeight: 200)).tiles[0]
        // 16 pixels of 0.8 mm at 200 px: 15.625 px per mm; the longest bar within a quarter of the width is 2 mm.
        XCTAssertEqual(g.pixelsPerMM, 200 / 12.8, accuracy: 1e-9)
        XCTAssertEqual(g.scaleBarMM, 2)
        XCTAssertEqual(g.scaleBar.width, 2 * 200 / 12.8, accuracy: 1e-9)
        XCTAssertEqual(g.scaleLabel.text, "2 mm")
        XCTAssertTrue(g.scaleBar.x >= g.image.x && g.scaleBar.maxY <= g.image.maxY, "inside the image")
    }

    func testMirroringSwapsLettersScalingDropsTheScaleBarRotationTheLetters() {
        let scaled = AugmentationMontage.after(patch, pair: 1, applied: ["scaling", "mirror ij"], spacing: grid.spacing)
        XCTAssertEqual(scaled.edges, ["L", "R", "P", "A"])
        XCTAssertFalse(scaled.showsScaleBar)
        XCTAssertEqual(scaled.title, "1: augmented, no scale bar")
        XCTAssertEqual(scaled.reason, "scaling, mirror ij")
        let g = MontageLayout(MontageFigure(tiles: [scaled], columns: 1, tileHeight: 200)).tiles[0]
        XCTAssertEqual(g.scaleBarMM, 0)
        XCTAssertEqual(g.scaleBar.width, 0)
        XCTAssertEqual(g.scaleLabel.text, "")
        XCTAssertEqual(g.letters.map(\.text), ["L", "R", "P", "A"])

        let rotated = AugmentationMontage.after(patch, pair: 2, applied: ["rotation", "elastic"], spacing: grid.spacing)
        XCTAssertEqual(rotated.edges, ["", "", "", ""])
        XCTAssertEqual(rotated.title, "2: augmented, no letters, no scale bar")

        let plain = AugmentationMontage.after(patch, pair: 4, applied: ["noise"], spacing: grid.spacing)
        XCTAssertEqual(plain.edges, ["R", "L", "A", "P"])
        XCTAssertTrue(plain.showsScaleBar)
        XCTAssertEqual(plain.title, "4: augmented")
        XCTAssertEqual(AugmentationMontage.after(patch, pair: 5, applied: [], spacing: grid.spacing).reason, "no transform fired")
    }

    func testAListOfTransformsTooWideForATileEndsWithHowManyMore() {
        let all = ["rotation", "scaling", "elastic", "noise", "blur", "brightness", "contrast", "low-resolution", "gamma", "mirror ijk"]
        let line = AugmentationMontage.fitted(all)
        XCTAssertTrue(line.hasPrefix("rotation, scaling"), line)
        XCTAssertTrue(line.hasSuffix(" more"), line)
        XCTAssertLessThanOrEqual(CairoText.width(line, size: 12, bold: false), AugmentationMontage.tileHeight)
    }
}
