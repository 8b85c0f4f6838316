import Foundation
import LiTSCore
import LiTSInference
import LiTSNet
import LiTSRender

/// A training run on disk:
///
///     config.json                    the options (written once, at the start)
///     state.json                     the commit point: names the current checkpoint set, with
///                                    SHA-256s, and holds history, best score, scheduler state
///     checkpoints/epoch-NNNN.safetensors (+ .json)   weights of the last finished epoch, and of
///                                    the best epoch when that is an earlier one
///     checkpoints/epoch-NNNN.optimizer.safetensors   the optimizer state of the last epoch
///     last.safetensors, best.safetensors (+ .json)   hard links to (or copies of) the set's
///                                    weights, for users, `lits predict` and PyTorch
///     history.csv, charts/, figures/, index.md
///     interrupted.safetensors (+ .json)   after Ctrl-C only: the weights mid-epoch, for a look;
///                                    --resume starts again from the last finished epoch and
///                                    removes them once it has finished an epoch
///
/// Each save writes the new epoch's files, then replaces state.json, then refreshes the links and
/// removes the previous set: a failure (disk full, kill) at any point leaves one whole set
/// committed, and `--resume` continues bit for bit. Every .safetensors file's SHA-256 is checked
/// when it is loaded.
public struct RunFolder: Sendable {
    public let path: String
    /// Tests: called with the name of each write or removal of a save before it happens; throwing
    /// simulates a failure (or kill) at that point.
    var failPoint: (@Sendable (String) throws -> Void)?

    public init(_ path: String) { self.path = path }

    public var configPath: String { "\(path)/\(TrainedRun.configFile)" }
    public var best: String { "\(path)/\(TrainedRun.checkpointFile(.best))" }
    public var last: String { "\(path)/\(TrainedRun.checkpointFile(.last))" }
    public var statePath: String { "\(path)/state.json" }

    static func encoder() -> JSONEncoder { ReportFolder.jsonEncoder() }

    public func writeConfig(_ options: TrainOptions) throws {
        try AtomicFile.write(try RunFolder.encoder().encode(options), to: configPath)
    }

    /// What a new run that failed before finishing an epoch wrote (config.json, an empty
    /// checkpoints folder), and then the folder itself when the run created it and nothing else
    /// is left (a raw dataset's preprocessed cache stays, for the next try). Not after Ctrl-C:
    /// interrupted.safetensors keeps the folder.
    func removeUnstarted() {
        guard !FileManager.default.fileExists(atPath: statePath) else { return }
        unlink(configPath)
        rmdir("\(path)/\(RunFolder.checkpointsFolder)")
        OutputFolder.removeIfUnused(path)
    }

    public func readConfig() throws -> TrainOptions {
        guard let data = FileManager.default.contents(atPath: configPath) else {
            throw LiTSError(.notFound, path: configPath, "no config.json: not a `lits train` run folder")
        }
        return try JSONFile.decode(TrainOptions.self, from: data, path: configPath)
    }

    /// After every epoch: the checkpoint set as one unit (`commitCheckpointSet`: weights,
    /// optimizer, state; best when it improved), history, charts.
    public func save(_ trainer: Trainer, isBest: Bool) throws {
        try commitCheckpointSet(trainer, isBest: isBest)
        try render(trainer)
    }

    /// Saves the weights without finishing the epoch (Ctrl-C), as interrupted.safetensors; it is
    /// not part of the checkpoint set: resuming restarts that epoch from the last finished one,
    /// and the file is removed once the resumed run has finished an epoch.
    public func saveInterrupted(_ trainer: Trainer) throws {
        let epoch = trainer.history.last?.epoch ?? 0
        try Checkpoint.save(trainer.model, to: "\(path)/interrupted.safetensors", extra: ["epoch": String(epoch), "note": "stopped mid-epoch"])
    }

    /// Restores the trainer to the committed set (checksums checked) and puts last/best back in
    /// place should a save have stopped before it refreshed them.
    public func restore(into trainer: Trainer) throws {
        try publish(try restoreCommitted(into: trainer))
    }

    static func historyCSV(_ h: [EpochRecord]) -> String {
        var lines = ["epoch,train_loss,validation_loss,dice_liver,dice_lesion,learning_rate,patches,share_with_liver,share_with_lesion,share_covering_top,share_covering_middle,share_covering_bottom,seconds,share_placed_liver,share_placed_lesion,share_placed_uniform,share_placed_top,share_placed_middle,share_placed_bottom"]
        func f(_ x: Double?) -> String { x.map { $0.isNaN ? "" : String(format: "%.6g", $0) } ?? "" }
        for r in h {
            let s = r.sampler
            // Placement shares come last so the older columns keep their positions.
            let placed = ["liver", "lesion", "uniform", "top", "middle", "bottom"].map { f(s.share(ofKind: $0)) }
            let fields = [String(r.epoch), f(r.trainLoss), f(r.validationLoss), f(r.diceLiver), f(r.diceLesion), f(r.learningRate),
                          String(s.patches), f(s.liverShare), f(s.lesionShare), f(s.topShare), f(s.middleShare), f(s.bottomShare),
                          String(format: "%.1f", r.seconds)] + placed
            lines.append(fields.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    func render(_ trainer: Trainer) throws {
        let folder = ReportFolder(path, figures: trainer.options.figures ?? .png)
        let h = trainer.history
        let ticks = GnuplotChart.integerTicks(upTo: h.last?.epoch ?? 1)
        func v(_ x: Double?) -> String { x.map { $0.isNaN ? "NaN" : String($0) } ?? "NaN" }
        let rows = h.map { r in
            "\(r.epoch) \(v(r.trainLoss)) \(v(r.validationLoss)) \(v(r.diceLiver)) \(v(r.diceLesion)) \(v(r.learningRate)) \(v(r.sampler.liverShare)) \(v(r.sampler.lesionShare)) \(v(r.sampler.topShare)) \(v(r.sampler.middleShare)) \(v(r.sampler.bottomShare))"
        }
        let data = "# epoch train_loss val_loss dice_liver dice_lesion lr liver lesion top middle bottom\n" + rows.joined(separator: "\n") + "\n"
        var curves = GnuplotChart(name: "training_curves", data: data, commands: [
            "set multiplot layout 1,2 title " + GnuplotChart.quote("Training (\(h.count) epoch\(h.count == 1 ? "" : "s"))"),
            "set xlabel 'epoch'", "set key top right",
        ] + ticks + [
            "set ylabel 'loss'",
            "plot datafile using 1:2 with linespoints lw 2 title 'train', datafile using 1:3 with linespoints lw 2 title 'validation'",
            "set ylabel 'Dice (validation, threshold 0.5)'", "set yrange [0:1]", "set key bottom right",
            "plot datafile using 1:4 with linespoints lw 2 lc rgb '#009E73' title 'liver', datafile using 1:5 with linespoints lw 2 lc rgb '#D55E00' title 'lesion'",
            "unset multiplot",
        ])
        curves.size = (1100, 450)
        try folder.render(curves)
        let sampler = GnuplotChart(name: "sampler_shares", data: data, commands: [
            "set title 'What the sampler produced (share of patches per epoch)'",
            "set xlabel 'epoch'", "set ylabel 'share of patches'", "set yrange [0:1.05]", "set key bottom right",
        ] + ticks + [
            "plot datafile using 1:7 with linespoints title 'contain liver', datafile using 1:8 with linespoints title 'contain lesion', "
                + "datafile using 1:9 with linespoints title 'cover top third', datafile using 1:10 with linespoints title 'cover middle third', "
                + "datafile using 1:11 with linespoints title 'cover bottom third'",
        ])
        try folder.render(sampler)
        var page = MarkdownPage(title: "Training run: \(URL(fileURLWithPath: path).lastPathComponent)")
        let o = trainer.options
        page.paragraph("U-Net filters \(o.model.filters.map(String.init).joined(separator: ",")), patch \(o.patch.w),\(o.patch.h),\(o.patch.d) (W,H,D), \(o.volumesPerBatch) volumes x \(o.patchesPerVolume) patches per batch, \(o.batchesPerEpoch) batches per epoch, sampling \(o.sampling.inWords), loss \(o.loss), Adam lr \(o.learningRate), \(o.lrSchedule == .poly ? "poly decay (exponent 0.9)" : "ReduceLROnPlateau factor \(o.lrFactor) patience \(o.lrPatience)"), seed \(o.seed).")
        if let recipe = o.recipe {
            page.paragraph("Recipe **\(recipe.name.rawValue)** (`--recipe \(recipe.name.rawValue)`), which sets: \(recipe.settings.joined(separator: "; ")). "
                + (recipe.overrides.isEmpty ? "No option was given over it." : "Given on the command line, over the recipe: " + recipe.overrides.map { "`\($0)`" }.joined(separator: ", ") + "."))
        }
        let pre = o.preprocessing
        if let stage = o.stage, stage != .joint {
            page.paragraph("Cascade stage: \(stage.rawValue)" + (o.liverRun.map { "; liver run `\($0.path)` (\($0.checkpoint.rawValue) checkpoint, SHA-256 \($0.sha256.prefix(12))...), box margin \(o.liverMargin ?? 0) mm" } ?? "") + ".")
        }
        func hu(_ x: Float) -> String { x == x.rounded() ? String(Int(x)) : String(x) }
        page.paragraph("Preprocessing: HU window \(hu(pre.window.low)),\(hu(pre.window.high)), "
            + (pre.targetSpacing.map { "every axis to \($0.map { String($0) }.joined(separator: " x ")) mm" }
               ?? "\(pre.inPlaneSize[0]) x \(pre.inPlaneSize[1]) in-plane, \(pre.sliceSpacing) mm slices") + "; `lits predict` repeats it.")
        if !o.split.isHeldOut {
            page.paragraph("**No held-out data:** with fewer than three cases the same case(s) train and validate, so these Dice values show that the pipeline learns, not how it generalises.")
        }
        page.paragraph("Split: train \(o.split.train.joined(separator: ", ")); validation \(o.split.validation.joined(separator: ", ")); test \(o.split.test.isEmpty ? "-" : o.split.test.joined(separator: ", ")).")
        page.image("Loss and validation Dice per epoch", path: folder.figure("training_curves"))
        page.image("Sampler shares per epoch", path: folder.figure("sampler_shares"))
        page.paragraph("Augmentation: \(o.augmentation.summary).")
        if !o.augmentation.isOff {
            if let (file, applied) = try AugmentationMontage.write(trainer: trainer, into: folder) {
                page.paragraph("What the network sees: patches of case \(o.split.train.first ?? "-") as cut (left of each pair, with the slice's index and position) and augmented (right, with the transforms that fired), middle axial slice, liver and tumour contours as the legend shows. A rotated patch has no orientation letters, a scaled or deformed one no scale bar: its pixels no longer have a known size in mm.")
                page.image("Patches before and after augmentation", path: file)
                page.table(["pair", "transforms applied"], applied.enumerated().map { n, names in
                    [String(n + 1), names.isEmpty ? "none" : names.joined(separator: ", ")]
                })
            }
        }
        page.table(["epoch", "train loss", "val loss", "Dice liver", "Dice lesion", "lr", "patches with liver", "with lesion", "top / middle / bottom third covered", "s"],
                   h.map { r in
                       let s = r.sampler
                       return [String(r.epoch), String(format: "%.4f", r.trainLoss), r.validationLoss.map { String(format: "%.4f", $0) } ?? "-",
                               r.diceLiver.map { String(format: "%.3f", $0) } ?? "-", r.diceLesion.map { String(format: "%.3f", $0) } ?? "-",
                               String(format: "%.2g", r.learningRate), String(format: "%.2f", s.liverShare), String(format: "%.2f", s.lesionShare),
                               String(format: "%.2f / %.2f / %.2f", s.topShare, s.middleShare, s.bottomShare), String(format: "%.0f", r.seconds)]
                   })
        page.paragraph("Files: `config.json`, [history.csv](history.csv), `best.safetensors` (best validation score: mean of liver and lesion Dice), `last.safetensors`, each with its model config JSON; they load in PyTorch with `scripts/unet_torch.py`.")
        try folder.writePage(page)
    }
}

extension SamplingMode {
    /// The mode as a reader of the run page says it ("liver-biased: 40% of patches centred in the
    /// liver, 30% on a lesion, the rest anywhere"), not as Swift prints the enum case.
    public var inWords: String {
        func percent(_ p: Double) -> String { String(format: "%g%%", (100 * p * 10).rounded() / 10) }
        switch self {
        case .uniform:
            return "uniform (patches anywhere in the volume)"
        case .liverBiased(let pLiver, let pLesion):
            return "liver-biased: \(percent(pLiver)) of patches centred in the liver, \(percent(pLesion)) on a lesion, the rest anywhere"
        case .regionBalanced(let pLiver, let pLesion):
            return "region-balanced: \(percent(pLiver)) of patches centred in the liver (a third each in its top, middle and bottom thirds), \(percent(pLesion)) on a lesion, the rest anywhere"
        }
    }
}
