import Foundation
import LiTSCore
import LiTSInference
import LiTSRender

/// `figures/augmentation.png` of a run: patches of the first training case as the sampler cut
/// them beside the same patches augmented (the middle axial slice of each, liver and tumor
/// contours over the image), so a user sees what the network is trained on. The patches come
/// from their own seed streams and do not touch the training's draws; the figure is the same
/// every time it is written.
enum AugmentationMontage {
    static let figure = "figures/augmentation.png"
    static let pairs = 8
    static let side = 160

    /// Writes the figure; returns the transforms that fired for each pair.
    static func write(trainer: Trainer, into folder: ReportFolder) throws -> [[String]] {
        let o = trainer.options
        guard let id = o.split.train.first else { return [] }
        let c = try trainer.trainingCase(id)
        guard let labels = c.labels else { return [] }
        var sampler = PatchSampler(mode: o.sampling, size: o.patch, seed: Trainer.seed(o.seed, 0, 4))
        let cut = sampler.sample(image: c.image, labels: labels, count: pairs)
        let augmenter = Augmenter(options: o.augmentation)
        let augmentSeed = Trainer.seed(o.seed, 0, 5)
        var tiles: [RGBImage] = [], applied: [[String]] = []
        for (n, patch) in cut.enumerated() {
            let (augmented, names) = augmenter.augment(patch, image: c.image, labels: labels,
                                                       seed: Augmenter.itemSeed(epochSeed: augmentSeed, item: n))
            tiles += [tile(patch), tile(augmented)]
            applied.append(names)
        }
        try folder.makeFolder("figures")
        try folder.writePNG(Montage.grid(tiles, columns: 4), name: figure)
        return applied
    }

    /// The middle axial slice of a patch, image in [0, 1] as gray.
    static func tile(_ p: SampledPatch) -> RGBImage {
        let grid = Grid(shape: [p.size.w, p.size.h, p.size.d], spacing: [1, 1, 1])
        return SliceRenderer.render(ct: Volume(grid: grid, voxels: p.image), labels: Volume(grid: grid, voxels: p.labels),
                                    plane: .axial, index: p.size.d / 2, window: (0, 1), side: side)
    }
}
