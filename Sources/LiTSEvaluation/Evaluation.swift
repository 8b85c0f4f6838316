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
        return cases
    }

    /// Evaluates one case against its prediction in `pred`; returns the metrics and the worst-slice montage.
    public static func evaluate(_ c: Case, pred: PredictionFolder, options: EvaluationOptions) throws -> (CaseEvaluation, RGBImage?) {
        let path = try pred.prediction(for: c.id)
        let loaded = try CaseLoader.load(c)
        let (raw, _) = try NIfTIReader.readLabels(path: path)
        let prediction = try onTruthGrid(raw, path: path, truth: loaded)
        let e = CaseEvaluator.evaluate(id: c.id, predictionPath: path, truth: loaded.labels!, prediction: prediction, options: options)
        return (e, worstSlices(ct: loaded.ct, truth: loaded.labels!, prediction: prediction, evaluation: e))
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
    /// prediction in `pred`, cases two at a time, into the report folder `out`. Returns the number
    /// of cases to do, the summary (nil when no case could be evaluated) and the failures.
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
        let mine = CaseRunner.run(group?.share(of: cases) ?? cases, threads: threads, label: "evaluate") { c in
            let (e, montage) = try evaluate(c, pred: folder, options: options)
            return GatheredEvaluation(evaluation: e, montage: montage.map(GatheredEvaluation.Image.init))
        }
        guard let result = try group.map({ try $0.gather(mine, of: cases) }) ?? mine else { return (cases.count, nil, []) }
        let results = result.results.map { ($0.1.evaluation, $0.1.montage?.image) }
        let summary: EvaluationSummary?
        if let shard {
            let files = [EvaluationReport.casesFile] + results.compactMap { e, montage in montage.map { _ in EvaluationReport.montageFile(e.id) } }
            summary = try finishShard(results, out: out, record: ShardRecord(command: command, shard: shard, total: all.count, cases: cases.map(\.id),
                                                                             failed: result.failedByID, settings: options,
                                                                             source: scored, files: files))
        } else {
            summary = try finish(results, out: out, title: title, failed: result.failedByID)
        }
        return (cases.count, summary, result.failures)
    }

    /// What a shard scored: the truth cases, and the prediction files of every one of them with
    /// the prediction folder's `predictions.json`.
    static func source(pred: String, truth: String, cases: [Case]) -> ShardSource {
        let record = "\(pred)/predictions.json"
        let files = cases.map { predictionPath(in: pred, id: $0.id) } + [FileManager.default.fileExists(atPath: record) ? record : nil]
        return ShardSource(inputs: [truth], cases: cases, predictions: ShardSource.input(folder: pred, files: files))
    }

    /// After the loop: the report, when any case was evaluated. Returns the summary (nil when none was).
    public static func finish(_ results: [(CaseEvaluation, RGBImage?)], out: String, title: String,
                              failed: [String: String]) throws -> EvaluationSummary? {
        guard !results.isEmpty else { return nil }
        let summary = EvaluationSummary.compute(results.map(\.0))
        try EvaluationReport.write(summary, montages: montages(results), to: out, title: title, failed: failed)
        return summary
    }

    /// After a shard's loop: its cases' results and `shard.json` (no page; `merge` writes the
    /// report). Returns the shard's summary (nil when no case was evaluated).
    static func finishShard(_ results: [(CaseEvaluation, RGBImage?)], out: String,
                            record: ShardRecord<EvaluationOptions>) throws -> EvaluationSummary? {
        try EvaluationReport.writeCases(results.map(\.0), montages: montages(results), to: out)
        try ShardFolder.write(record, to: out)
        return results.isEmpty ? nil : EvaluationSummary.compute(results.map(\.0))
    }

    static func montages(_ results: [(CaseEvaluation, RGBImage?)]) -> [String: RGBImage] {
        var montages: [String: RGBImage] = [:]
        for (e, image) in results { if let image { montages[e.id] = image } }
        return montages
    }

    /// `--compare A B`: reads both reports (a bad one leaves no output), prepares `out` and writes
    /// the comparison page; returns its text.
    public static func compare(_ a: String, _ b: String, out: String) throws -> String {
        let comparison = try EvaluationComparison.compute(a, b)
        try OutputFolder.prepare(out, inputs: [a, b], command: "lits evaluate --compare")
        return try EvaluationReport.writeComparison(comparison, to: out)
    }

    /// Worst liver slices with truth and prediction contours and FP/FN colours.
    public static func worstSlices(ct: Volume<Float>, truth: LabelMap, prediction: LabelMap, evaluation: CaseEvaluation, count: Int = 3) -> RGBImage? {
        guard let extent = evaluation.liverExtent else { return nil }
        let ranked = evaluation.liverSliceDice.enumerated().filter { !$0.element.isNaN }.sorted { $0.element < $1.element }.prefix(count)
        guard !ranked.isEmpty else { return nil }
        let tiles: [RGBImage] = ranked.map { n, _ in
            let k = extent.kMin + n
            let view = SliceView(ct, plane: .axial, index: k)
            let (w, h) = view.displaySize(minSide: 256)
            var image = view.gray(low: HUWindow.liver.low, high: HUWindow.liver.high).resized(width: w, height: h)
            let t = SliceView(truth, plane: .axial, index: k), pr = SliceView(prediction, plane: .axial, index: k)
            func big(_ m: [Bool]) -> [Bool] { Overlay.resize(m, width: t.width, height: t.height, toWidth: w, height: h) }
            let tl = t.values.map { $0 >= 1 }, pl = pr.values.map { $0 >= 1 }
            Overlay.fill(on: &image, mask: big(zip(pl, tl).map { $0 && !$1 }), color: .falsePositive, alpha: 0.5)
            Overlay.fill(on: &image, mask: big(zip(pl, tl).map { !$0 && $1 }), color: .falseNegative, alpha: 0.5)
            Overlay.drawContour(on: &image, mask: big(tl), color: .liverGreen)
            Overlay.drawContour(on: &image, mask: big(pl), color: .white)
            return image
        }
        return Montage.grid(tiles, columns: count)
    }
}

/// One case's evaluation as it travels from a rank to rank 0 (the montage's pixels included).
struct GatheredEvaluation: Codable, Sendable {
    struct Image: Codable, Sendable {
        var width: Int, height: Int, pixels: Data  // base64 in JSON
        init(_ image: RGBImage) { (width, height, pixels) = (image.width, image.height, Data(image.pixels)) }
        var image: RGBImage { RGBImage(width: width, height: height, pixels: [UInt8](pixels)) }
    }
    var evaluation: CaseEvaluation
    var montage: Image?
}
