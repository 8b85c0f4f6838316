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

    /// The checkpoint of every member; nil: each run's own (`TrainedRun.defaultCheckpoint`, and
    /// `last` for the folds of a cross-validation folder, as their out-of-fold predictions used).
    public var checkpoint: CheckpointChoice?
    /// Overrides of the run's sliding window; nil keeps the run's.
    public var overlap: Double?
    public var blending: Blending?
    public var threshold: Float = 0.5
    public var largestLiverComponent = true
    public var lesionsInsideLiver = true
    /// `test-segmentation-N.nii`, as the LiTS submission expects (`--lits-names`, the same as
    /// `names = .litsTest`).
    public var litsNames = false
    /// How segmentations are named; nil: in the input's own naming (`PredictionNames.forInput`).
    public var names: PredictionNames?
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
    /// Take the clean-up (largest liver component, lesions inside the liver) from a
    /// cross-validation folder's `postprocessing.json` where it has one (the command sets this
    /// when the user gave neither flag).
    public var postprocessingFromRun = false
    /// Progress lines during and after each case (nil: none but `CaseRunner`'s).
    public var progress: (@Sendable (PredictionProgress.Line) -> Void)?

    public init() {}

    /// The segmentation's file name for case `c`: `names`, else `--lits-names`, else the
    /// naming of the layout the case came in.
    public func outputName(for c: Case) -> String {
        (names ?? (litsNames ? .litsTest : .forInput(c))).fileName(for: c)
    }

    /// The LiTS name of case `id` (`test-segmentation-N.nii` with `litsNames`), for records
    /// written before names followed the input.
    public func outputName(caseID id: String) -> String {
        litsNames ? "test-segmentation-\(id).nii" : "segmentation-\(id).nii.gz"
    }

    /// Predicts the cases under `data` (only `shard`'s, if set) into `out` (created; refused
    /// inside an input or over a foreign folder). Returns the cases to do and, per case, the file
    /// written or the failure. With a process group each rank predicts its share of the cases and
    /// rank 0 writes the record of the whole job (the other ranks return an empty run). A shard
    /// folder also gets `shard.json`, for `merge`.
    public func run(run runPath: String, data: [String], out: String, group: ProcessGroup? = nil) throws -> (cases: Int, run: CaseRunResult<String>) {
        try run(runs: [runPath], data: data, out: out, group: group)
    }

    /// The same with an ensemble: every run in `runs` (a cross-validation folder stands for its
    /// folds), their probabilities averaged on each case's source grid (`Ensemble`). Every run
    /// is read and checked before the output folder is touched.
    public func run(runs: [String], data: [String], out: String, group: ProcessGroup? = nil) throws -> (cases: Int, run: CaseRunResult<String>) {
        let ensemble = try Ensemble.load(runs: runs, job: self)
        let all = try Dataset.discover(data)
        let cases = shard.map { $0.select(all) } ?? all
        try Self.refuseSharedNames(all.map(outputName(for:)), cases: all, out: out)
        let source = ShardSource(inputs: data, cases: all)
        try (group ?? SingleProcess()).onRankZero {
            try ShardFolder.prepareOutput(out, inputs: data, command: Self.command, shard: shard)
        }
        let job = self, mine = group?.share(of: cases) ?? cases
        let options = ensemble.members.map(\.predictor.config.preprocessing)
        let tracker = progress.map { PredictionProgress(cases: mine.count, report: $0) }
        // A rerun replaces the folder's previous predictions as a whole (once every check passed).
        try (group ?? SingleProcess()).onRankZero { try Self.clearPreviousRun(out) }
        // The model runs its own workers per layer, so cases go one at a time.
        let done = CaseRunner.run(mine, threads: 1, label: "predict") { c in
            let windows = tracker?.startCase(c.id)
            do {
                let loaded = try CaseLoader.load(c, withLabels: false)
                for o in options { try Preprocessor.checkFits(loaded, options: o) }
                if ensemble.members.count > 1 {
                    // The sums and one run's maps, two channels each, on the source grid.
                    let s = loaded.source.grid.shape
                    try MemoryBudget.check(Double(loaded.source.grid.count) * 4 * 4, for: "averaging \(ensemble.members.count) runs' probabilities on the \(s[0])x\(s[1])x\(s[2]) source grid",
                                           path: c.volumePath, advice: "predict with one run (it keeps no source-grid probabilities), or on a machine with more memory")
                }
                let prediction = ensemble.predict(loaded, withProbabilities: job.probabilities, windows: windows)
                let name = job.outputName(for: c)
                try Self.write(prediction, name: name, caseID: c.id, sformCode: Int32(max(1, loaded.source.sformCode)), into: out)
                tracker?.finishCase(c.id, windows: windows?.windows.done ?? 0, Self.summary(prediction.labels, file: name))
                return name
            } catch {
                tracker?.failCase()
                throw error
            }
        }
        guard let result = try group.map({ try $0.gather(done, of: cases) }) ?? done else { return (cases.count, CaseRunResult(results: [], failures: [])) }
        let record = Record(ensemble)
        try Self.writeRecord(record, files: result.results.map(\.1), cases: result.results.map(\.0.id), failed: result.failures.map(\.0.id), into: out)
        if let shard {
            let settings = Settings(record: record, window: ensemble.members[0].predictor.config, job: self, postprocess: ensemble.postprocess)
            let probabilities = probabilities ? result.results.flatMap { ["probability-liver-\($0.0.id).nii.gz", "probability-lesion-\($0.0.id).nii.gz"] } : []
            try ShardFolder.write(ShardRecord(command: Self.command, shard: shard, total: all.count, cases: cases.map(\.id),
                                              failed: result.failedByID, settings: settings, source: source,
                                              files: result.results.map(\.1) + probabilities + [Self.recordFile]), to: out)
        }
        return (cases.count, result)
    }

    /// The end of a case's summary line: what was found and where it went.
    static func summary(_ labels: LabelMap, file: String) -> String {
        let ml = labels.grid.spacing.reduce(1, *) / 1000
        var counts = [0, 0, 0]
        labels.voxels.withUnsafeBufferPointer { for v in $0 where v <= 2 { counts[Int(v)] += 1 } }
        return String(format: "liver %.1f ml, lesions %.1f ml -> %@", Double(counts[1] + counts[2]) * ml, Double(counts[2]) * ml, file)
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

    /// Whether `name` is a file `lits predict` writes into its folder (a segmentation in the
    /// LiTS or MSD naming, nnU-Net's `NAME_NNN.nii.gz`, a probability map).
    static func isOutputName(_ name: String) -> Bool {
        let kinds = [("segmentation-", ".nii.gz"), ("test-segmentation-", ".nii"), ("probability-liver-", ".nii.gz"),
                     ("probability-lesion-", ".nii.gz"), ("liver_", ".nii.gz")]
        if kinds.contains(where: { name.hasPrefix($0.0) && name.hasSuffix($0.1) && name.count > $0.0.count + $0.1.count }) { return true }
        return PredictionNames.numberedStem(name) != nil
    }

    /// Two cases whose names would be one file (nnU-Net identifiers of two inputs, a `--names`
    /// that drops a distinction) are refused before any prediction runs over the other.
    static func refuseSharedNames(_ names: [String], cases: [Case], out: String) throws {
        var seen: [String: Case] = [:]
        for (name, c) in zip(names, cases) {
            if let other = seen[name] {
                throw LiTSError(.invalidArgument, path: c.volumePath, "would be predicted into \(out)/\(name), as case \(other.id) (\(other.volumePath)) is; choose --names lits")
            }
            seen[name] = c
        }
    }

    /// The segmentation file of each case in a prediction folder's `predictions.json` (nil for a
    /// record without `cases`, written before names followed the input).
    public static func recordedNames(in folder: String) throws -> [String: String]? {
        let record = try JSONFile.read([String: [String]].self, from: "\(folder)/\(recordFile)")
        guard let ids = record["cases"], let files = record["files"], ids.count == files.count else { return nil }
        return Dictionary(zip(ids, files)) { a, _ in a }
    }

    /// Before a rerun writes into its folder: the previous run's record goes first
    /// (`predictions.json`, a shard's `shard.json`), so no record ever lists another run's files,
    /// then every file named like an output of ours (the previous run's, or those of a run that
    /// did not finish). A rerun with another model or fewer cases thus leaves none of the old
    /// predictions to be scored with the new. Other files are left alone.
    static func clearPreviousRun(_ out: String) throws {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: out)) ?? []
        let listed = ((try? recordedNames(in: out)) ?? nil).map { Array($0.values) } ?? []
        for name in [recordFile, ShardFolder.recordFile] + (names.filter(isOutputName) + listed.filter(names.contains)).sorted() {
            guard unlink("\(out)/\(name)") == 0 || errno == ENOENT else {
                throw LiTSError(.notWritable, path: "\(out)/\(name)", "cannot remove the previous run's file: \(String(cString: strerror(errno)))")
            }
        }
    }

    /// What `predictions.json` says about the models: every member run (absolute), the checkpoint
    /// files (absolute; a cascade's liver checkpoint after its lesion one) with their SHA-256, and
    /// the cross-validation folders given. Every value is a list of strings, as readers expect.
    public struct Record: Codable, Equatable, Sendable {
        public var runs: [String]
        public var checkpoints: [String]
        public var sha256: [String]
        public var crossValidation: [String]
        /// The threshold and clean-up applied, as the options that ask for them, and where a
        /// cross-validation folder's choice came from.
        public var postprocessing: [String]
        /// What each run's convolutions multiplied in (fp32, bf16, int8), after the fallback of a
        /// CPU that lacks the one asked for; empty where the writer does not know.
        public var precision: [String]

        init(_ e: Ensemble) {
            runs = e.members.map(\.run)
            checkpoints = e.members.flatMap(\.checkpoints)
            sha256 = e.members.flatMap(\.sha256)
            crossValidation = e.crossValidation
            postprocessing = Record.describe(e.postprocess, chosenIn: e.postprocessingFile)
            precision = e.members.map(\.predictor.model.context.precision.rawValue)
        }

        public init(runs: [String], checkpoints: [String], sha256: [String], crossValidation: [String], postprocessing: [String],
                    precision: [String] = []) {
            (self.runs, self.checkpoints, self.sha256, self.crossValidation) = (runs, checkpoints, sha256, crossValidation)
            (self.postprocessing, self.precision) = (postprocessing, precision)
        }

        public static func describe(_ p: PostprocessOptions, chosenIn file: String?) -> [String] {
            ["--threshold \(p.liverThreshold)", p.largestLiverComponent ? "--largest-liver" : "--no-largest-liver",
             p.lesionsInsideLiver ? "--lesions-in-liver" : "--no-lesions-in-liver"] + (file.map { ["chosen in \($0)"] } ?? [])
        }
    }

    /// `predictions.json`: the models (`Record`), the files written with their cases (in the
    /// same order: a name in the input's naming need not say its case id) and the failed cases.
    public static func writeRecord(_ models: Record, files: [String], cases: [String], failed: [String], into out: String) throws {
        var record: [String: [String]] = ["run": models.runs, "checkpoint": models.checkpoints, "sha256": models.sha256,
                                          "files": files, "cases": cases, "failed": failed]
        if !models.crossValidation.isEmpty { record["crossValidation"] = models.crossValidation }
        if !models.postprocessing.isEmpty { record["postprocessing"] = models.postprocessing }
        if !models.precision.isEmpty { record["precision"] = models.precision }
        try JSONFile.write(record, to: "\(out)/\(PredictionJob.recordFile)")
    }
}

/// How `lits predict` names a case's segmentation (`--names`): LiTS `segmentation-N.nii.gz`,
/// the LiTS submission's `test-segmentation-N.nii`, MSD `liver_N.nii.gz`, or nnU-Net's
/// `{case identifier}.nii.gz`. By default a case keeps the naming of the layout it came in.
public enum PredictionNames: String, CaseIterable, Sendable, Codable {
    case lits, litsTest = "lits-test", msd, nnunet

    /// The naming of the layout `c` came in: MSD and nnU-Net raw keep theirs, anything else LiTS.
    public static func forInput(_ c: Case) -> PredictionNames {
        switch c.layout {
        case .msd: return .msd
        case .nnunet: return .nnunet
        default: return .lits
        }
    }

    public func fileName(for c: Case) -> String {
        switch self {
        case .lits: return "segmentation-\(c.id).nii.gz"
        case .litsTest: return "test-segmentation-\(c.id).nii"
        case .msd: return "liver_\(c.id).nii.gz"
        case .nnunet: return "\(Self.nnunetIdentifier(c)).nii.gz"
        }
    }

    /// nnU-Net's case identifier: the image's name without its `_0000` channel and ending
    /// (`imagesTs/liver_003_0000.nii.gz` is `liver_003`); a case from another layout gets the
    /// identifier `lits export nnunet` gives it with the dataset name `liver` (`liver_003`).
    static func nnunetIdentifier(_ c: Case) -> String {
        let name = String(c.volumePath.split(separator: "/").last ?? "")
        for ending in ["_0000.nii.gz", "_0000.nii"] where name.hasSuffix(ending) && name.count > ending.count {
            return String(name.dropLast(ending.count))
        }
        return Int(c.id).map { "liver_" + String(format: "%03d", $0) } ?? "liver_\(c.id)"
    }

    /// "NAME_NNN.nii.gz" (nnU-Net's and MSD's prediction naming): the name before the number,
    /// or nil for any other name.
    public static func numberedStem(_ name: String) -> String? {
        guard name.hasSuffix(".nii.gz"), let us = name.dropLast(7).lastIndex(of: "_") else { return nil }
        let digits = name[name.index(after: us)..<name.index(name.endIndex, offsetBy: -7)]
        guard us > name.startIndex, !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else { return nil }
        return String(name[..<us])
    }
}
