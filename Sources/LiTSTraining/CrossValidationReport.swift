import Foundation
import LiTSCore
import LiTSEvaluation
import LiTSImaging
import LiTSInference
import LiTSRender

/// Once every fold has its out-of-fold predictions: the post-processing chosen on them
/// (`postprocessing.json`), and the `lits evaluate` report of every case out of fold, with the
/// chosen post-processing, in `crossval/` (its predictions in `crossval/predictions/`, a fold
/// table and `data/folds.csv` added). Rebuilt whole each time (under RUN's lock), so the last fold
/// to finish, or `--resume`, leaves one report of all folds.
extension CrossValidation {
    /// The checksum of each fold's out-of-fold checkpoint, in fold order.
    func foldChecksums() throws -> [String] {
        try (0..<plan.folds).map { try TrainedRun(reading: foldPath($0)).checkpointInfo(Self.oofCheckpoint).sha256 ?? "" }
    }

    /// The post-processing of a report built from the folds' current checkpoints (nil: none,
    /// or one from older checkpoints), so that a rerun does not score every case again.
    public func currentReport() -> PostprocessingChoice? {
        guard let record = try? JSONFile.read([String: [String]].self, from: "\(reportPath)/predictions/\(PredictionJob.recordFile)"),
              let sums = try? foldChecksums(), record["sha256"] == sums,
              FileManager.default.fileExists(atPath: "\(reportPath)/index.md") else { return nil }
        return try? JSONFile.read(PostprocessingChoice.self, from: postprocessingPath)
    }

    /// Builds postprocessing.json and crossval/. Every fold's predictions must be complete.
    @discardableResult
    public func buildReport(cases: [String: Case]) throws -> PostprocessingChoice {
        var dice: [PostprocessingChoice.CaseDice] = []
        var foldOf: [String: Int] = [:]
        for (k, fold) in splits.enumerated() {
            let records = try PostprocessingVariant.allCases.map { variant in
                (variant, try PredictionJob.recordedNames(in: "\(foldPath(k))/\(variant.folder)") ?? [:])
            }
            for id in fold.val {
                guard let c = cases[id] else { throw LiTSError(.notFound, path: plan.data, "case \(id) has no source files") }
                guard foldOf.updateValue(k, forKey: id) == nil else {
                    throw LiTSError(.corrupt, path: "\(path)/\(CrossValidationPlan.splitsFile)", "case \(id) is out of fold twice")
                }
                let truth = try CaseLoader.load(c)
                var predictions: [PostprocessingVariant: LabelMap] = [:]
                for (variant, names) in records {
                    guard let name = names[id] else { throw LiTSError(.notFound, path: "\(foldPath(k))/\(variant.folder)", "no prediction of case \(id)") }
                    predictions[variant] = try onCanonicalGrid("\(foldPath(k))/\(variant.folder)/\(name)", truth: truth)
                }
                dice.append(PostprocessingChoice.dice(truth: truth.labels!, predictions: predictions))
            }
        }
        let choice = PostprocessingChoice.choose(dice)
        try writeReport(choice: choice, cases: cases, foldOf: foldOf)
        try JSONFile.write(choice, to: postprocessingPath)
        return choice
    }

    /// A fold's prediction on the canonical grid of its case (it was written on the source grid).
    func onCanonicalGrid(_ file: String, truth: LoadedCase) throws -> LabelMap {
        let raw = try NIfTIReader.readLabels(path: file).0
        guard raw.grid.shape == truth.source.grid.shape else {
            throw LiTSError(.mismatch, path: file, "grid \(raw.grid.shape) is not the source grid \(truth.source.grid.shape) of case \(truth.info.id)")
        }
        return truth.reorientation.toCanonical(Volume(grid: truth.source.grid, voxels: raw.voxels))
    }

    /// crossval/: the chosen variant's predictions of every case, then the evaluation report of
    /// them, then the fold table; built beside and moved into place.
    func writeReport(choice: PostprocessingChoice, cases: [String: Case], foldOf: [String: Int]) throws {
        let building = "\(path)/.crossval-building"
        if FileManager.default.fileExists(atPath: building) { try FileManager.default.removeItem(atPath: building) }
        let predictions = "\(building)/predictions"
        try FileManager.default.createDirectory(atPath: predictions, withIntermediateDirectories: true)
        var ids: [String] = [], files: [String] = []
        for (k, fold) in splits.enumerated() {
            let folder = "\(foldPath(k))/\(choice.variant.folder)"
            let names = try PredictionJob.recordedNames(in: folder) ?? [:]
            for id in fold.val {
                guard let name = names[id] else { throw LiTSError(.notFound, path: folder, "no prediction of case \(id)") }
                if FileManager.default.fileExists(atPath: "\(predictions)/\(name)") {
                    throw LiTSError(.invalidArgument, path: "\(folder)/\(name)", "two cases predict into the same file name; their folds cannot share one report")
                }
                try AtomicFile.copy("\(folder)/\(name)", to: "\(predictions)/\(name)")
                ids.append(id)
                files.append(name)
            }
        }
        // `lits predict`'s record: the folds and their checkpoints (with SHA-256: a rerun rebuilds
        // the report only when one changed) and the clean-up chosen.
        let folds = (0..<plan.folds).map { OutputFolder.resolved(foldPath($0)) }
        let models = PredictionJob.Record(runs: folds, checkpoints: folds.map { "\($0)/\(TrainedRun.checkpointFile(Self.oofCheckpoint))" },
                                          sha256: try foldChecksums(), crossValidation: [OutputFolder.resolved(path)],
                                          postprocessing: PredictionJob.Record.describe(PostprocessOptions(largestLiverComponent: choice.largestLiver,
                                                                                                           lesionsInsideLiver: choice.lesionsInLiver),
                                                                                        chosenIn: OutputFolder.resolved(postprocessingPath)))
        try PredictionJob.writeRecord(models, files: files, cases: ids, failed: [], into: predictions)
        let folder = try PredictionFolder(reading: predictions)
        let options = EvaluationOptions()
        // Two cases at a time, as `lits evaluate` scores them; a truth that cannot be read stops the report.
        let run = CaseRunner.run(ids.map { cases[$0]! }, threads: 2, label: "evaluate") { c in
            try Evaluation.evaluate(c, pred: folder, options: options)
        }
        if let (_, message) = run.failures.first { throw LiTSError(.unreadable, path: nil, message) }  // already "FILE: problem"
        let byID = Dictionary(run.results.map { ($0.0.id, $0.1) }, uniquingKeysWith: { a, _ in a })
        let rows = ids.compactMap { byID[$0] }
        guard let summary = try Evaluation.finish(rows, out: building, title: "Cross-validation: \(plan.folds) folds, every case out of fold", options: options) else {
            throw LiTSError(.noCases, path: path, "no out-of-fold case to report")
        }
        try writeFoldTables(summary, choice: choice, foldOf: foldOf, into: building)
        if FileManager.default.fileExists(atPath: reportPath) { try FileManager.default.removeItem(atPath: reportPath) }
        guard rename(building, reportPath) == 0 else { throw LiTSError.writeFailed(reportPath, "cannot move the report into place", errno: errno) }
    }

    /// data/folds.csv (each case's fold and Dice) and the page's cross-validation section: the
    /// folds' means, per third too, and the post-processing applied.
    func writeFoldTables(_ summary: EvaluationSummary, choice: PostprocessingChoice, foldOf: [String: Int], into dir: String) throws {
        func f(_ x: Double?) -> String { x.map { $0.isNaN ? "" : String(format: "%.4f", $0) } ?? "" }
        func mean(_ xs: [Double]) -> Double? {
            let d = xs.filter { !$0.isNaN }
            return d.isEmpty ? nil : d.reduce(0, +) / Double(d.count)
        }
        let evaluated = summary.cases
        var csv = "fold,case,liver_dice,lesion_dice,liver_dice_top,liver_dice_middle,liver_dice_bottom\n"
        var table = "| fold | cases | mean liver Dice | mean lesion Dice | liver Dice top | middle | bottom |\n|---|---|---|---|---|---|---|\n"
        func third(_ e: CaseEvaluation, _ name: String) -> Double { e.regions.first { $0.region == name }?.liverDice ?? .nan }
        for k in 0..<plan.folds {
            let mine = evaluated.filter { foldOf[$0.id] == k }
            for e in mine {
                csv += "\(k),\(e.id),\(f(e.liver.dice)),\(f(e.lesion.dice)),\(f(third(e, "top"))),\(f(third(e, "middle"))),\(f(third(e, "bottom")))\n"
            }
            let cells = [mean(mine.map(\.liver.dice)), mean(mine.map(\.lesion.dice))] + ["top", "middle", "bottom"].map { r in mean(mine.map { third($0, r) }) }
            table += "| \(k) | \(mine.count) | " + cells.map { f($0).isEmpty ? "n/a" : f($0) }.joined(separator: " | ") + " |\n"
        }
        try AtomicFile.write(csv, to: "\(dir)/data/folds.csv")
        let page = "\(dir)/index.md"
        let text = (try? String(contentsOfFile: page, encoding: .utf8)) ?? ""
        let section = """

        ## Cross-validation

        \(plan.folds) folds (\(plan.splitsSource)); each case above is predicted by the one fold that did not train on \
        it (its `last` checkpoint), \(evaluated.count) cases in all. Fold of each case: `data/folds.csv`.

        Post-processing, chosen on these out-of-fold predictions and applied to them above \
        (`../postprocessing.json`, which `lits predict --run` follows): \(choice.summary).

        \(table)
        """
        try AtomicFile.write(text + section, to: page)
    }
}
