import Foundation
import LiTSCore
import LiTSNet

/// `lits predict merge PARTS... --out DIR`: shard folders of `lits predict --shard i/n` into the
/// one prediction folder a single run writes (the same files, one `predictions.json`).
extension PredictionJob {
    /// What must be the same in every shard of one prediction: the model and every option that
    /// changes the files written.
    public struct Settings: Codable, Equatable, Sendable {
        public var run: String
        public var checkpoints: [String]
        /// The checkpoint's checksum: a run retrained between tasks has the same paths.
        public var checksum: String?
        public var overlap: Double
        public var blending: Blending
        public var threshold: Float
        public var largestLiverComponent: Bool
        public var lesionsInsideLiver: Bool
        public var litsNames: Bool
        /// `--names` (nil: each case in its input's naming).
        public var names: PredictionNames?
        public var probabilities: Bool
        /// What the convolutions multiplied in (the run's, or `--precision`).
        public var precision: ConvolutionPrecision
        public var testTimeAugmentation: TestTimeAugmentation
        /// Every member run of an ensemble, the checksums of `checkpoints`, the cross-validation
        /// folders given (nil in shards written before ensembles: `run` alone).
        public var runs: [String]?
        public var sha256: [String]?
        public var crossValidation: [String]?
        /// What predictions.json says of the clean-up (nil in older shards).
        public var postprocessing: [String]?

        init(record: PredictionJob.Record, window: InferenceConfig, job: PredictionJob, postprocess: PostprocessOptions) {
            (run, checkpoints, checksum) = (record.runs[0], record.checkpoints, record.sha256.first)
            (runs, sha256, crossValidation, postprocessing) = (record.runs, record.sha256, record.crossValidation, record.postprocessing)
            (overlap, blending) = (window.overlap, window.blending)
            (threshold, largestLiverComponent, lesionsInsideLiver) = (job.threshold, postprocess.largestLiverComponent, postprocess.lesionsInsideLiver)
            (litsNames, probabilities) = (job.litsNames, job.probabilities)
            names = job.names
            precision = job.precision ?? window.precision ?? .fp32
            testTimeAugmentation = job.testTimeAugmentation
        }
    }

    /// What `merge` did: the files gathered, the failed cases, warnings for the user.
    public struct MergeResult: Sendable {
        public var files: Int
        public var failed: [String: String]
        public var warnings: [String]
    }

    /// Every part is checked (and each case's files found) before `out` is created, so bad parts
    /// leave no output; `predictions.json` is written last.
    public static func merge(_ parts: [String], into out: String, partial: Bool) throws -> MergeResult {
        let set = try ShardFolder.read(parts, command: command, partial: partial, as: Settings.self)
        let failed = set.failed
        var naming = PredictionJob()
        naming.litsNames = set.settings.litsNames
        var files: [String] = [], ids: [String] = [], failedIDs: [String] = []
        var copies: [(from: String, to: String)] = []
        var recorded: [String: [String: String]] = [:]   // each part's predictions.json: case -> file
        for (id, part) in set.caseOrder {
            if failed[id] != nil { failedIDs.append(id); continue }
            if recorded[part] == nil { recorded[part] = try PredictionJob.recordedNames(in: part) ?? [:] }
            let name = recorded[part]?[id] ?? naming.outputName(caseID: id)
            let extra = set.settings.probabilities ? ["probability-liver-\(id).nii.gz", "probability-lesion-\(id).nii.gz"] : []
            for f in [name] + extra {
                guard FileManager.default.fileExists(atPath: "\(part)/\(f)") else {
                    throw LiTSError(.notFound, path: "\(part)/\(f)", "missing, though shard.json lists case \(id) as predicted; rerun that shard")
                }
                copies.append(("\(part)/\(f)", "\(out)/\(f)"))
            }
            files.append(name)
            ids.append(id)
        }
        try OutputFolder.prepare(out, inputs: parts, command: command)
        for (from, to) in copies { try AtomicFile.copy(from, to: to) }
        let st = set.settings
        let models = Record(runs: st.runs ?? [st.run], checkpoints: st.checkpoints, sha256: st.sha256 ?? st.checksum.map { [$0] } ?? [],
                            crossValidation: st.crossValidation ?? [], postprocessing: st.postprocessing ?? [],
                            precision: (st.runs ?? [st.run]).map { _ in st.precision.rawValue })
        try writeRecord(models, files: files, cases: ids, failed: failedIDs, into: out)
        return MergeResult(files: files.count, failed: failed, warnings: set.warnings)
    }
}
