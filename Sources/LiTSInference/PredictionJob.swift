import Foundation
import LiTSCore
import LiTSImaging
import LiTSNet

/// `lits predict`: a trained run applied to every case under the given paths, one NIfTI label
/// map per case on its source grid, and `predictions.json` saying what was written.
public struct PredictionJob: Sendable {
    public static let recordFile = "predictions.json"
    /// The output kind of a prediction folder (`OutputFolder`'s marker, `ShardRecord.command`).
    public static let command = "lits predict"

    public var checkpoint = CheckpointChoice.best
    /// Overrides of the run's sliding window; nil keeps the run's.
    public var overlap: Double?
    public var blending: Blending?
    public var threshold: Float = 0.5
    public var largestLiverComponent = true
    public var lesionsInsideLiver = true
    /// `test-segmentation-N.nii`, as the LiTS submission expects, instead of `segmentation-N.nii.gz`.
    public var litsNames = false
    public var probabilities = false
    /// Test-time mirroring (`--tta mirror`).
    public var testTimeAugmentation = TestTimeAugmentation.none
    /// Worker threads of the network and its convolution path.
    public var context = NetContext.default
    /// What convolutions multiply in (nil: what the run was trained in); bf16 falls back to fp32
    /// where the CPU lacks AVX512_BF16.
    public var precision: ConvolutionPrecision?
    /// Only this part of the cases, into a shard folder (merge the parts with `merge`).
    public var shard: JobShard?

    public init() {}

    public func outputName(caseID id: String) -> String {
        litsNames ? "test-segmentation-\(id).nii" : "segmentation-\(id).nii.gz"
    }

    /// Predicts the cases under `data` (only `shard`'s, if set) into `out` (created; refused
    /// inside an input or over a foreign folder). Returns the cases to do and, per case, the file
    /// written or the failure. With a process group each rank predicts its share of the cases and
    /// rank 0 writes the record of the whole job (the other ranks return an empty run). A shard
    /// folder also gets `shard.json`, for `merge`.
    public func run(run runPath: String, data: [String], out: String, group: ProcessGroup? = nil) throws -> (cases: Int, run: CaseRunResult<String>) {
        let run = try TrainedRun(reading: runPath)
        var context = context
        context.precision = precision ?? run.config.precision ?? .fp32
        let model = try run.loadModel(checkpoint, context: context)
        var config = run.config
        if let overlap { config.overlap = overlap }
        if let blending { config.blending = blending }
        let all = try Dataset.discover(data)
        let cases = shard.map { $0.select(all) } ?? all
        let source = ShardSource(inputs: data, cases: all)
        try (group ?? SingleProcess()).onRankZero {
            try ShardFolder.prepareOutput(out, inputs: data, command: Self.command, shard: shard)
        }
        var predictor = Predictor(model: model, config: config)
        var liverCheckpoint: String?
        if config.stage == .lesion, let ref = config.liverRun {
            let liver = try TrainedRun(reading: ref.path)
            let file = liver.checkpointPath(ref.checkpoint)
            let info = try liver.checkpointInfo(ref.checkpoint)
            guard info.sha256 == ref.sha256, liver.config.preprocessing == config.preprocessing else {
                throw LiTSError(.mismatch, path: file, "is not the liver checkpoint this lesion stage was trained with (checksum \(info.sha256 ?? "none"), the cascade's config.json pins \(ref.sha256)); restore it or retrain the lesion stage")
            }
            predictor.liverStage = (try liver.loadModel(ref.checkpoint, context: context), liver.config.windowOptions)
            liverCheckpoint = file
        }
        predictor.threshold = threshold
        predictor.largestLiverComponent = largestLiverComponent
        predictor.lesionsInsideLiver = lesionsInsideLiver
        predictor.testTimeAugmentation = testTimeAugmentation
        let p = predictor, job = self, chosen = config
        // A rerun replaces the folder's previous predictions as a whole (once every check passed).
        try (group ?? SingleProcess()).onRankZero { try Self.clearPreviousRun(out) }
        // The model runs its own workers per layer, so cases go one at a time.
        let mine = CaseRunner.run(group?.share(of: cases) ?? cases, threads: 1, label: "predict") { c in
            let loaded = try CaseLoader.load(c, withLabels: false)
            try Preprocessor.checkFits(loaded, options: chosen.preprocessing)
            let prediction = p.predict(loaded, withProbabilities: job.probabilities)
            let name = job.outputName(caseID: c.id)
            try Self.write(prediction, name: name, caseID: c.id, sformCode: Int32(max(1, loaded.source.sformCode)), into: out)
            return name
        }
        guard let result = try group.map({ try $0.gather(mine, of: cases) }) ?? mine else { return (cases.count, CaseRunResult(results: [], failures: [])) }
        let checkpoints = [run.checkpointPath(checkpoint)] + (liverCheckpoint.map { [$0] } ?? [])
        try Self.writeRecord(run: runPath, checkpoints: checkpoints, files: result.results.map(\.1),
                             failed: result.failures.map(\.0.id), into: out)
        if let shard {
            let settings = Settings(run: runPath, checkpoints: checkpoints, checksum: try run.checkpointInfo(checkpoint).sha256,
                                    window: chosen, job: self)
            let probabilities = probabilities ? result.results.flatMap { ["probability-liver-\($0.0.id).nii.gz", "probability-lesion-\($0.0.id).nii.gz"] } : []
            try ShardFolder.write(ShardRecord(command: Self.command, shard: shard, total: all.count, cases: cases.map(\.id),
                                              failed: result.failedByID, settings: settings, source: source,
                                              files: result.results.map(\.1) + probabilities + [Self.recordFile]), to: out)
        }
        return (cases.count, result)
    }

    /// One case's files: the segmentation and, when asked for, the probability maps, all or
    /// none (a failed write, e.g. on a full disk, removes those of the case already written).
    static func write(_ prediction: Predictor.Result, name: String, caseID id: String, sformCode: Int32, into out: String) throws {
        var written: [String] = []
        do {
            if let probs = prediction.probabilities {
                for (file, volume) in [("probability-liver-\(id).nii.gz", probs[0]), ("probability-lesion-\(id).nii.gz", probs[1])] {
                    try NIfTIWriter.write(volume, to: "\(out)/\(file)")
                    written.append("\(out)/\(file)")
                }
            }
            try NIfTIWriter.write(prediction.labels, to: "\(out)/\(name)", sformCode: sformCode, description: "LiTSKit predict")
        } catch {
            for file in written { unlink(file) }
            throw error
        }
    }

    /// Whether `name` is a file `lits predict` writes into its folder (a segmentation in either
    /// naming, a probability map).
    static func isOutputName(_ name: String) -> Bool {
        let kinds = [("segmentation-", ".nii.gz"), ("test-segmentation-", ".nii"), ("probability-liver-", ".nii.gz"), ("probability-lesion-", ".nii.gz")]
        return kinds.contains { name.hasPrefix($0.0) && name.hasSuffix($0.1) && name.count > $0.0.count + $0.1.count }
    }

    /// Before a rerun writes into its folder: the previous run's record goes first
    /// (`predictions.json`, a shard's `shard.json`), so no record ever lists another run's files,
    /// then every file named like an output of ours (the previous run's, or those of a run that
    /// did not finish). A rerun with another model or fewer cases thus leaves none of the old
    /// predictions to be scored with the new. Other files are left alone.
    static func clearPreviousRun(_ out: String) throws {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: out)) ?? []
        for name in [recordFile, ShardFolder.recordFile] + names.filter(isOutputName).sorted() {
            guard unlink("\(out)/\(name)") == 0 || errno == ENOENT else {
                throw LiTSError(.notWritable, path: "\(out)/\(name)", "cannot remove the previous run's file: \(String(cString: strerror(errno)))")
            }
        }
    }

    /// `predictions.json`: the run, its checkpoint(s), the files written and the failed cases.
    static func writeRecord(run: String, checkpoints: [String], files: [String], failed: [String], into out: String) throws {
        let record: [String: [String]] = ["run": [run], "checkpoint": checkpoints, "files": files, "failed": failed]
        try JSONFile.write(record, to: "\(out)/\(PredictionJob.recordFile)")
    }
}
