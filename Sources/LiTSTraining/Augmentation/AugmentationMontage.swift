import Foundation
import LiTSCore
import LiTSInference
import LiTSRender

/// `figures/augmentation.EXT` of a run (in the run's `--figures` format): patches of the first
/// training case as the sampler cut them beside the same patches augmented, the middle axial slice
/// of each with the liver and tumour contours and a legend, drawn by Cairo like every montage.
/// The patches come from their own seed streams and do not touch the training's draws; the figure
/// is the same every time it is written.
enum AugmentationMontage {
    /// The figure's name in the run folder, without its extension.
    static let name = "figures/augmentation"
    static let pairs = 8
    static let tileHeight = 200.0

    /// Writes the figure; returns its file (relative to the run) and the transforms that fired
    /// for each pair, or nil when the first training case has no labels.
    static func write(trainer: Trainer, into folder: ReportFolder) throws -> (file: String, applied: [[String]])? {
        let o = trainer.options
        guard let id = o.split.train.first else { return nil }
        let c = try trainer.trainingCase(id)
        guard let labels = c.labels else { return nil }
        var sampler = PatchSampler(mode: o.sampling, size: o.patch, seed: Trainer.seed(o.seed, 0, 4))
        let cut = sampler.sample(image: c.image, labels: labels, count: pairs)
        let augmenter = Augmenter(options: o.augmentation)
        let augmentSeed = Trainer.seed(o.seed, 0, 5)
        var tiles: [MontageTile] = [], applied: [[String]] = []
        for (n, patch) in cut.enumerated() {
            let (augmented, names) = augmenter.augment(patch, image: c.image, labels: labels,
                                                       seed: Augmenter.itemSeed(epochSeed: augmentSeed, item: n))
            tiles += [before(patch, pair: n + 1, grid: c.image.grid), after(augmented, pair: n + 1, applied: names, spacing: c.image.grid.spacing)]
            applied.append(names)
        }
        let figure = MontageFigure(tiles: tiles, columns: 4, tileHeight: tileHeight, legend: MontageFigure.legend(of: tiles))
        try folder.makeFolder("figures")
        return (try folder.writeMontage(figure, name: name, format: folder.figures), applied)
    }

    /// The patch as cut: its slice's index and position in the case, patient directions and a
    /// scale bar (the patch lies on the resampled grid, so its pixels have the grid's size in mm).
    static func before(_ p: SampledPatch, pair: Int, grid: Grid) -> MontageTile {
        let k = p.origin.k + p.size.d / 2
        return tile(p, spacing: grid.spacing, title: "\(pair): as cut (\(p.kind))",
                    reason: MontageTile.label(grid, plane: .axial, index: k), edges: Plane.axial.edgeLetters, scaleBar: true)
    }

    /// The patch augmented. Mirroring swaps the letters of its axis; after a rotation the edges
    /// face no named direction (no letters), and after scaling or elastic displacement a pixel
    /// is no longer a known size in mm (no scale bar); the caption says which.
    static func after(_ p: SampledPatch, pair: Int, applied: [String], spacing: [Double]) -> MontageTile {
        var edges = Plane.axial.edgeLetters
        if let mirror = applied.first(where: { $0.hasPrefix("mirror ") })?.dropFirst(7) {
            if mirror.contains("i") { edges.swapAt(0, 1) }
            if mirror.contains("j") { edges.swapAt(2, 3) }
        }
        let rotated = applied.contains("rotation")
        if rotated { edges = ["", "", "", ""] }
        let scaled = applied.contains("scaling") || applied.contains("elastic")
        let missing = [rotated ? "no letters" : nil, scaled ? "no scale bar" : nil].compactMap { $0 }
        let title = "\(pair): augmented" + (missing.isEmpty ? "" : ", " + missing.joined(separator: ", "))
        return tile(p, spacing: spacing, title: title, reason: fitted(applied), edges: edges, scaleBar: !scaled)
    }

    /// The transforms as one caption line no wider than a tile: those that fit, then "+N more"
    /// (the run page's table lists them all).
    static func fitted(_ applied: [String], width: Double = tileHeight) -> String {
        guard !applied.isEmpty else { return "no transform fired" }
        for n in stride(from: applied.count, to: 0, by: -1) {
            let text = applied.prefix(n).joined(separator: ", ") + (n < applied.count ? ", +\(applied.count - n) more" : "")
            if CairoText.width(text, size: 12, bold: false) <= width || n == 1 { return text }
        }
        return ""
    }

    /// The middle axial slice of a patch, image in [0, 1] as grey, with its label contours.
    static func tile(_ p: SampledPatch, spacing: [Double], title: String, reason: String, edges: [String], scaleBar: Bool) -> MontageTile {
        let grid = Grid(shape: [p.size.w, p.size.h, p.size.d], spacing: spacing)
        let k = p.size.d / 2
        var t = MontageTile.slice(Volume(grid: grid, voxels: p.image), plane: .axial, index: k, window: (0, 1), reason: reason,
                                  layers: MontageTile.labelLayers(LabelMap(grid: grid, voxels: p.labels), plane: .axial, index: k))
        (t.title, t.edges, t.showsScaleBar) = (title, edges, scaleBar)
        return t
    }
}
