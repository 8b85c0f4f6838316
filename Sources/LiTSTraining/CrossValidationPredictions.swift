import Foundation
import LiTSCore
import LiTSImaging
import LiTSInference
import LiTSNet

/// The out-of-fold predictions of a fold: its validation cases predicted with its `last`
/// checkpoint (the `best` one was chosen on these very cases), whole volume, mapped back to each
/// case's source grid, as `lits predict` writes them: `validation/` without post-processing, and
/// `validation-largest-liver/`, `validation-lesions-in-liver/`, `validation-both/` with it (the
/// post-processing runs on the network's grid before the mapping back, so each variant is a
/// prediction of its own). Each folder gets its `predictions.json`, with the checkpoint's
/// SHA-256: predictions of an older checkpoint (a fold extended since) are not complete.
extension CrossValidation {
    public static let oofCheckpoint = CheckpointChoice.last

    /// Whether fold k has every variant's predictions of its validation cases, from its current checkpoint.
    public func validationComplete(_ k: Int) throws -> Bool {
        let run = foldPath(k)
        guard FileManager.default.fileExists(atPath: "\(run)/\(TrainedRun.checkpointFile(Self.oofCheckpoint))"),
              let sha = try? TrainedRun(reading: run).checkpointInfo(Self.oofCheckpoint).sha256 else { return false }
        for variant in PostprocessingVariant.allCases {
            let file = "\(run)/\(variant.folder)/\(PredictionJob.recordFile)"
            guard let record = try? JSONFile.read([String: [String]].self, from: file),
                  let cases = record["cases"], let files = record["files"], cases.count == files.count,
                  Set(cases) == Set(splits[k].val), cases.count == splits[k].val.count, record["sha256"] == [sha],
                  files.allSatisfy({ FileManager.default.fileExists(atPath: "\(run)/\(variant.folder)/\($0)") }) else { return false }
        }
        return true
    }

    /// Predicts fold k's validation cases into its four folders (each replaced as a whole).
    public func predictValidation(_ k: Int, cases: [String: Case], context: NetContext, progress: (String) -> Void) throws {
        let runPath = foldPath(k)
        let run = try TrainedRun(reading: runPath)
        var context = context
        context.precision = run.config.precision ?? .fp32
        let model = try run.loadModel(Self.oofCheckpoint, context: context)
        let sha = try run.checkpointInfo(Self.oofCheckpoint).sha256 ?? ""
        let predictor = Predictor(model: model, config: run.config)
        let ids = splits[k].val
        let variants = PostprocessingVariant.allCases
        let variantOptions = variants.map { variant in
            var options = predictor.postprocessOptions
            options.largestLiverComponent = variant.largestLiver
            options.lesionsInsideLiver = variant.lesionsInLiver
            return options
        }
        for variant in variants { try resetFolder("\(runPath)/\(variant.folder)") }
        var files: [String] = []
        for (n, id) in ids.enumerated() {
            guard let c = cases[id] else { throw LiTSError(.notFound, path: plan.data, "case \(id) has no source files") }
            progress("fold \(k): out-of-fold prediction \(n + 1)/\(ids.count) (case \(id))")
            let loaded = try CaseLoader.load(c, withLabels: false)
            try Preprocessor.checkFits(loaded, options: run.config.preprocessing)
            let name = PredictionNames.forInput(c).fileName(for: c)
            // One network pass, the four post-processings of its probabilities.
            let labels = predictor.predict(loaded, postprocessing: variantOptions)
            for (variant, map) in zip(variants, labels) {
                try NIfTIWriter.write(map, to: "\(runPath)/\(variant.folder)/\(name)", sformCode: Int32(max(1, loaded.source.sformCode)),
                                      description: "LiTSKit predict")
            }
            files.append(name)
        }
        // The record last (`lits predict`'s, with the checkpoint's SHA-256): `validation/` (no
        // post-processing) is the one that says "done".
        for (variant, options) in zip(variants, variantOptions).reversed() {
            let models = PredictionJob.Record(runs: [OutputFolder.resolved(runPath)], checkpoints: [OutputFolder.resolved(run.checkpointPath(Self.oofCheckpoint))],
                                              sha256: [sha], crossValidation: [], postprocessing: PredictionJob.Record.describe(options, chosenIn: nil))
            try PredictionJob.writeRecord(models, files: files, cases: ids, failed: [], into: "\(runPath)/\(variant.folder)")
        }
    }

    /// An empty folder for a fold's predictions (an earlier try's files removed first, the record first of all).
    func resetFolder(_ dir: String) throws {
        unlink("\(dir)/\(PredictionJob.recordFile)")
        if FileManager.default.fileExists(atPath: dir) { try FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
}
