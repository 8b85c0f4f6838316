import Foundation
import LiTSCore
import LiTSImaging
import LiTSRender

/// `lits evaluate --pred P --truth T --out DIR`: `run`, made of the steps around the per-case loop.
public enum Evaluation {
    /// The prediction file of case `id` in `folder`, if any.
    public static func predictionPath(in folder: String, id: String) -> String? {
        ["segmentation-\(id).nii.gz", "segmentation-\(id).nii", "test-segmentation-\(id).nii", "test-segmentation-\(id).nii.gz",
         "liver_\(id).nii.gz", "volume-\(id).nii.gz", "volume-\(id).nii"].map { "\(folder)/\($0)" }.first { FileManager.default.fileExists(atPath: $0) }
    }

    /// The output kind of an evaluation report (`OutputFolder`'s marker, `ShardRecord.command`).
    public static let command = "lits evaluate"

    /// The truth cases (with a segmentation).
    public static func truthCases(_ truth: String) throws -> [Case] {
        try Dataset.discover(truth).filter { $0.segmentationPath != nil }
    }

    /// The truth cases (with a segmentation); checks the prediction folder (`PredictionFolder`),
    /// then prepares `out` (a shard folder with `shard`), so bad inputs leave no output folder.
    public static func prepare(pred: String, truth: String, out: String, shard: JobShard? = nil) throws -> [Case] {
        let cases = try truthCases(truth)
        _ = try PredictionFolder(reading: pred)
        guard !cases.isEmpty else { throw LiTSError(.noCases, path: truth, "no cases with a ground-truth segmentation") }
        try ShardFolder.prepareOutput(out, inputs: [pred, truth], command: command, shard: shard)
        // An earlier run's montages (in any --figures format) go, so none is left behind unlinked.
        FigureFiles.removeAll(prefix: EvaluationReport.montagePrefix, in: out)
        return cases
    }

    /// Evaluates one case against its prediction in `pred`; returns its row and the worst-slice
    /// montage. A truth that cannot be read throws (the case is an `error` row); a prediction that
    /// is missing or fails a check is scored as an empty one or left unscored (`options.missing`).
    public static func evaluate(_ c: Case, pred: PredictionFolder, options: EvaluationOptions) throws -> (CaseRow, MontageFigure?) {
        let loaded = try CaseLoader.load(c)
        let truth = loaded.labels!
        var path = "", prediction: LabelMap, problem: (status: CaseStatus, reason: String)?
        do {
            path = try pred.prediction(for: c.id)
            do {
                prediction = try onTruthGrid(try CaseLoader.readPrediction(path: path), path: path, truth: loaded)
            } catch let e as LiTSError {
                (prediction, problem) = (LabelMap(grid: truth.grid, repeating: 0), (.refused, e.description))
            }
        } catch let e as LiTSError {
            (prediction, problem) = (LabelMap(grid: truth.grid, repeating: 0), (.missing, e.description))
        }
        if let problem, options.missing == .skip {
            return (.unscored(UnscoredCase(id: c.id, status: problem.status, reason: problem.reason + "; left out of the means (--missing skip)")), nil)
        }
        var e = CaseEvaluator.evaluate(id: c.id, predictionPath: path, truth: truth, prediction: prediction, options: options)
        if let problem {
            e.status = problem.status
            e.reason = problem.reason + "; scored as an empty prediction (--missing zero)"
        }
        return (.evaluated(e), worstSlices(ct: loaded.ct, truth: truth, prediction: prediction, evaluation: e))
    }

    /// The prediction on the truth's canonical grid. A prediction stored on the truth's own grid
    /// is taken as it is; one that differs only by axis order and flips (the same voxels, written
    /// in another orientation) is reoriented, as nibabel's canonical view would; anything else (a
    /// shifted origin, another spacing or direction) is refused with both affines.
    static func onTruthGrid(_ raw: LabelMap, path: String, truth: LoadedCase) throws -> LabelMap {
        let truthGrid = truth.source.grid
        if raw.grid.shape == truthGrid.shape,
           CaseLoader.affineMismatch(raw.grid.affine, truthGrid.affine, spacing: truthGrid.spacing) == nil {
            return truth.reorientation.toCanonical(Volume(grid: truthGrid, voxels: raw.voxels))
        }
        let own = Reorientation(sourceGrid: raw.grid)
        let canonical = own.canonicalGrid(of: raw.grid)
        if canonical.shape == truth.ct.grid.shape,
           CaseLoader.affineMismatch(canonical.affine, truth.ct.grid.affine, spacing: truth.ct.grid.spacing) == nil {
            return Volume(grid: truth.ct.grid, voxels: own.toCanonical(raw).voxels)
        }
        let why = raw.grid.shape != truthGrid.shape
            ? "grid \(raw.grid.shape) does not match the truth's \(truthGrid.shape)"
            : "affine \(CaseLoader.format(raw.grid.affine)) does not match the truth's \(CaseLoader.format(truthGrid.affine))"
        throw LiTSError(.mismatch, path: path, why + " (not the same grid, even after reorienting)")
    }

    /// `lits evaluate`: every labelled case under `truth` (only `shard`'s, if given) against its
    /// prediction in `pred`, cases two at a time, into the report folder `out`. Every case is a
    /// row of the report, scored or not. Returns the number of cases to do, the summary (nil when
    /// no case had a usable prediction: then nothing is written) and the cases not scored from
    /// their own prediction, with why.
    public static func run(pred: String, truth: String, out: String, title: String, options: EvaluationOptions,
                           threads: Int = 2, group: ProcessGroup? = nil,
                           shard: JobShard? = nil) throws -> (cases: Int, summary: EvaluationSummary?, failures: [(Case, String)]) {
        // With a process group rank 0 prepares the folder, each rank evaluates its share of the
        // cases, and rank 0 writes the one report from everyone's metrics and montages.
        var all: [Case] = []
        try (group ?? SingleProcess()).onRankZero { all = try prepare(pred: pred, truth: truth, out: out, shard: shard) }
        if let group, group.rank != 0 { all = try truthCases(truth) }
        let cases = shard.map { $0.select(all) } ?? all
        let folder = try PredictionFolder(reading: pred)
        let scored = source(pred: pred, truth: truth, cases: all)
        // One process writes a scored case's worst-slice montage as soon as it is drawn: held
        // until the report, every case's montage (about 3.75 MB for 512x512 slices) made the peak
        // memory grow with the number of cases. MPI ranks send theirs to rank 0; an unscored
        // case's waits (with no case scored, nothing is written).
        let writeEach = group == nil
        let mine = CaseRunner.run(group?.share(of: cases) ?? cases, threads: threads, label: "evaluate") { c in
            let (row, montage) = try evaluate(c, pred: folder, options: options)
            guard writeEach, row.status == .scored, let montage else { return GatheredEvaluation(row: row, montage: montage) }
            _ = try ReportFolder(out).writeMontage(montage, name: EvaluationReport.montageName(row.id), format: options.figures ?? .png)
            return GatheredEvaluation(row: row, montage: nil, montageWritten: true)
        }
        guard let result = try group.map({ try $0.gather(mine, of: cases) }) ?? mine else { return (cases.count, nil, []) }
        let written = Set(result.results.filter { $0.1.montageWritten }.map { $0.1.row.id })
        let rows = Self.rows(cases, results: result.results.map { ($0.0, ($0.1.row, $0.1.montage)) }, failed: result.failedByID)
        let failures = rows.compactMap { row, _ in row.status == .scored ? nil : cases.first { $0.id == row.id }.map { ($0, row.reason ?? "") } }
        // Not one case with a usable prediction: most likely the wrong --pred folder; no report.
        guard rows.contains(where: { $0.0.status == .scored }) else { return (cases.count, nil, failures) }
        let summary: EvaluationSummary?
        if let shard {
            let evaluated = rows.filter { $0.0.status != .error }
            let files = [EvaluationReport.casesFile] + evaluated.compactMap { row, montage in
                montage != nil || written.contains(row.id) ? EvaluationReport.montageFile(row.id, format: options.figures ?? .png) : nil
            }
            summary = try finishShard(evaluated, out: out, record: ShardRecord(command: command, shard: shard, total: all.count, cases: cases.map(\.id),
                                                                               failed: result.failedByID, settings: options,
                                                                               source: scored, files: files))
        } else {
            summary = try finish(rows, out: out, title: title, options: options, written: written)
        }
        return (cases.count, summary, failures)
    }

    /// Every case of `cases`, in order: its result, or an `error` row where its truth could not be read.
    static func rows(_ cases: [Case], results: [(Case, (CaseRow, MontageFigure?))], failed: [String: String]) -> [(CaseRow, MontageFigure?)] {
        let byID = Dictionary(results.map { ($0.0.id, $0.1) }, uniquingKeysWith: { a, _ in a })
        return cases.compactMap { c in
            if let r = byID[c.id] { return r }
            return failed[c.id].map { (.unscored(UnscoredCase(id: c.id, status: .error, reason: $0 + "; not scored")), nil) }
        }
    }

    /// What a shard scored: the truth cases, and the prediction files of every one of them with
    /// the prediction folder's `predictions.json`.
    static func source(pred: String, truth: String, cases: [Case]) -> ShardSource {
        let record = "\(pred)/predictions.json"
        let files = cases.map { predictionPath(in: pred, id: $0.id) } + [FileManager.default.fileExists(atPath: record) ? record : nil]
        return ShardSource(inputs: [truth], cases: cases, predictions: ShardSource.input(folder: pred, files: files))
    }

    /// After the loop: the report of every row. Returns the summary. `written`: the cases whose
    /// montage is already in `out` (linked from the page like those in `rows`).
    public static func finish(_ rows: [(CaseRow, MontageFigure?)], out: String, title: String, options: EvaluationOptions,
                              written: Set<String> = []) throws -> EvaluationSummary? {
        guard !rows.isEmpty else { return nil }
        let summary = EvaluationSummary.compute(rows.map(\.0), missing: options.missing)
        let drawn = montages(rows), figures = options.figures ?? .png
        try EvaluationReport.writeCases(summary.rows, montages: drawn, to: out, format: figures)
        try EvaluationReport.write(summary, montageIDs: Set(drawn.keys).union(written), to: out, title: title, figures: figures)
        return summary
    }

    /// After a shard's loop: its cases' rows and `shard.json` (no page; `merge` writes the
    /// report). Returns the shard's summary (nil when no case was evaluated).
    static func finishShard(_ rows: [(CaseRow, MontageFigure?)], out: String,
                            record: ShardRecord<EvaluationOptions>) throws -> EvaluationSummary? {
        try EvaluationReport.writeCases(rows.map(\.0), montages: montages(rows), to: out, format: record.settings.figures ?? .png)
        try ShardFolder.write(record, to: out)
        return rows.isEmpty ? nil : EvaluationSummary.compute(rows.map(\.0), missing: record.settings.missing)
    }

    static func montages(_ rows: [(CaseRow, MontageFigure?)]) -> [String: MontageFigure] {
        var montages: [String: MontageFigure] = [:]
        for (row, image) in rows { if let image { montages[row.id] = image } }
        return montages
    }

    /// `--compare REF OTHER...`: see EvaluationComparisonReport.run.
    public static func compare(_ reports: [String], out: String, figures: FigureFormat = .png) throws -> String {
        try EvaluationComparisonReport.run(reports, out: out, figures: figures)
    }

    /// Worst liver slices (lowest per-slice liver Dice), each labelled with its Dice: truth and
    /// prediction contours, false positives and negatives as translucent fills (Okabe-Ito).
    public static func worstSlices(ct: Volume<Float>, truth: LabelMap, prediction: LabelMap, evaluation: CaseEvaluation, count: Int = 3) -> MontageFigure? {
        guard let extent = evaluation.liverExtent else { return nil }
        let ranked = evaluation.liverSliceDice.enumerated().filter { !$0.element.isNaN }.sorted { $0.element < $1.element }.prefix(count)
        guard !ranked.isEmpty else { return nil }
        let tiles: [MontageTile] = ranked.map { n, dice in
            let k = extent.kMin + n
            let tl = SliceView(truth, plane: .axial, index: k).values.map { $0 >= 1 }
            let pl = SliceView(prediction, plane: .axial, index: k).values.map { $0 >= 1 }
            return MontageTile.slice(ct, plane: .axial, index: k, window: (HUWindow.liver.low, HUWindow.liver.high),
                                     reason: "worst slice, liver Dice \(String(format: "%.2f", dice))",
                                     layers: [.falsePositive(zip(pl, tl).map { $0 && !$1 }), .falseNegative(zip(pl, tl).map { !$0 && $1 }),
                                              .truth(tl), .prediction(pl)])
        }
        return MontageFigure(tiles: tiles, columns: count, legend: MontageFigure.legend(of: tiles))
    }
}

/// One case's evaluation as it travels from a rank to rank 0 (the montage's figure included).
struct GatheredEvaluation: Codable, Sendable {
    var row: CaseRow
    var montage: MontageFigure?
    /// The montage is already written to the report folder (one process; see `run`).
    var montageWritten = false
}
