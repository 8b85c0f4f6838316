import XCTest
import LiTSCore
import LiTSImaging
@testable import LiTSInference

/// `--crop-body`: the case cut to its body's bounding box before resampling, and a prediction on
/// the box mapped back onto the source file's own grid and affine, background outside the box.
final class BodyCropTests: XCTestCase {
    /// An LPS case (the canonical grid flips i and j) of air with a body block at source indices
    /// i 5...24, j 3...17, k 2...9, written as volume-1.nii.gz and loaded as `lits predict` loads it.
    func loadedPhantom() throws -> LoadedCase {
        let dir = NSTemporaryDirectory() + "litskit-crop-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        let spacing = [1.5, 1.25, 3.0]
        let grid = Grid(shape: [30, 22, 12], spacing: spacing,
                        affine: Affine.diagonal(spacing: [-spacing[0], -spacing[1], spacing[2]], origin: [40, 30, -100]))
        var ct = Volume<Float>(grid: grid, repeating: -1000)
        for k in 2...9 { for j in 3...17 { for i in 5...24 { ct[i, j, k] = (i + j) % 3 == 0 ? 80 : 20 } } }
        try NIfTIWriter.write(ct.map { Int16($0) }, to: "\(dir)/volume-1.nii.gz")
        let c = try XCTUnwrap(Dataset.discover([dir]).first)
        return try CaseLoader.load(c, withLabels: false)
    }

    func testCropAndMapBackGiveTheSourceGridAndBackgroundOutsideTheBox() throws {
        let loaded = try loadedPhantom()
        var options = PreprocessOptions()
        options.targetSpacing = [2, 2, 3]
        options.cropToBody = true
        let (ct, box) = Preprocessor.imageAndBox(loaded, options: options)
        let b = try XCTUnwrap(box)
        // Canonical (RAS) flips i (30 wide) and j (22 wide): i 5...24 -> 5...24, j 3...17 -> 4...18.
        XCTAssertEqual(b, VoxelBox(lo: [5, 4, 2], hi: [24, 18, 9]))
        // The box resampled to the target spacing: 20x15x8 voxels of 1.5x1.25x3 mm at 2x2x3 mm.
        XCTAssertEqual(ct.shape, [15, 9, 8])
        // The box's grid keeps every voxel's world position: its first voxel is the canonical (5, 4, 2).
        let boxGrid = b.grid(in: loaded.ct.grid), corner = loaded.ct.grid.affine.apply((5, 4, 2))
        XCTAssertEqual(boxGrid.affine[0, 3], corner.0, accuracy: 1e-9)
        XCTAssertEqual(boxGrid.affine[1, 3], corner.1, accuracy: 1e-9)
        XCTAssertEqual(boxGrid.affine[2, 3], corner.2, accuracy: 1e-9)

        // A prediction of liver everywhere on the box, mapped back.
        let labels = Predictor.toSource(LabelMap(grid: ct.grid, repeating: 1), case: loaded, box: box)
        let probability = Predictor.toSource(Volume<Float>(grid: ct.grid, repeating: 0.75), case: loaded, box: box)
        for v in [labels.grid, probability.grid] {
            XCTAssertEqual(v.shape, loaded.source.grid.shape)
            XCTAssertEqual(v.affine, loaded.source.grid.affine, "the source affine, exactly")
            XCTAssertEqual(v.spacing, loaded.source.grid.spacing)
        }
        for k in 0..<12 { for j in 0..<22 { for i in 0..<30 {
            let inside = (5...24).contains(i) && (3...17).contains(j) && (2...9).contains(k)
            XCTAssertEqual(labels[i, j, k], inside ? 1 : 0, "(\(i), \(j), \(k))")
            XCTAssertEqual(probability[i, j, k], inside ? 0.75 : 0, accuracy: 1e-6, "(\(i), \(j), \(k))")
        } } }
    }

    /// Without the option nothing is cut; with it the manifest entry records the box.
    func testOptionOffKeepsTheWholeVolumeAndTheManifestRecordsTheBox() throws {
        let loaded = try loadedPhantom()
        var options = PreprocessOptions()
        options.targetSpacing = [2, 2, 3]
        XCTAssertNil(Preprocessor.imageAndBox(loaded, options: options).box)
        XCTAssertEqual(Preprocessor.image(loaded, options: options).ct.shape, [23, 14, 12])
        options.cropToBody = true
        let entry = Preprocessor.run(loaded, options: options).entry
        XCTAssertEqual(entry.bodyBox, VoxelBox(lo: [5, 4, 2], hi: [24, 18, 9]))
        XCTAssertEqual(entry.canonicalShape, [30, 22, 12], "the whole canonical grid, to map back onto")
        XCTAssertEqual(entry.shape, [15, 9, 8])
    }

    /// Manifests and run configs written before the option decode (off), and an option left
    /// off writes no key, so their files and comparisons do not change.
    func testOldOptionsDecodeAndTheDefaultWritesNoKey() throws {
        let old = try JSONEncoder().encode(PreprocessOptions())
        XCTAssertFalse(String(decoding: old, as: UTF8.self).contains("cropToBody"))
        XCTAssertNil(try JSONDecoder().decode(PreprocessOptions.self, from: old).cropToBody)
        var on = PreprocessOptions()
        on.cropToBody = true
        XCTAssertEqual(try JSONDecoder().decode(PreprocessOptions.self, from: JSONEncoder().encode(on)).cropToBody, true)
    }

    /// The box of a mask is the smallest one holding every true voxel (checked against the
    /// voxels one by one), and nil for an empty mask.
    func testBoxOfAMask() {
        let shape = [9, 7, 5]
        XCTAssertNil(VoxelBox(mask: [Bool](repeating: false, count: 9 * 7 * 5), shape: shape))
        var generator = SeededGenerator(seed: 7)
        for _ in 0..<20 {
            let mask = (0..<(9 * 7 * 5)).map { _ in generator.index(below: 40) == 0 }
            guard mask.contains(true) else { continue }
            var lo = [9, 7, 5], hi = [-1, -1, -1]
            for n in mask.indices where mask[n] {
                let p = [n % 9, n / 9 % 7, n / 63]
                for a in 0..<3 { lo[a] = min(lo[a], p[a]); hi[a] = max(hi[a], p[a]) }
            }
            XCTAssertEqual(VoxelBox(mask: mask, shape: shape), VoxelBox(lo: lo, hi: hi))
        }
    }
}
