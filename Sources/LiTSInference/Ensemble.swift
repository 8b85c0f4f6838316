import Foundation
import LiTSCore
import LiTSImaging
import LiTSNet

/// The runs `lits predict` predicts with: one run, several (`--run A --run B`), or the folds of
/// a cross-validation folder (`lits train --folds K`). Each member preprocesses the case its own
/// way and maps its probabilities back onto the source grid; the members' probabilities are
/// averaged there, then thresholded and cleaned once (nnU-Net's ensembling). One run alone
/// predicts as it always did: labels cleaned on its own grid, then mapped back.
public struct Ensemble: @unchecked Sendable {
    /// `RUN/crossvalidation.json` of `lits train --folds K`: it lists the fold folders.
    public static let crossValidationFile = "crossvalidation.json"
    /// `RUN/postprocessing.json`: the clean-up chosen on the out-of-fold predictions.
    public static let postprocessingFile = "postprocessing.json"

    public struct Member: @unchecked Sendable {
        /// The run folder (absolute).
        public var run: String
        /// The checkpoint files it predicts with (absolute; a cascade's liver checkpoint second)
        /// and their SHA-256.
        public var checkpoints: [String]
        public var sha256: [String]
        public var predictor: Predictor
    }

    public var members: [Member]
    /// Threshold and clean-up of the averaged probabilities.
    public var postprocess: PostprocessOptions
    /// The cross-validation folders given (absolute), whose folds are members.
    public var crossValidation: [String]
    /// The `postprocessing.json` whose choice `postprocess` took, if any (absolute).
    public var postprocessingFile: String?

    /// A given `--run` path: the run itself, or the fold folders of a cross-validation folder.
    public static func expand(_ path: String) throws -> (runs: [String], crossValidation: Bool) {
        let file = "\(path)/\(crossValidationFile)"
        guard let data = FileManager.default.contents(atPath: file) else { return ([path], false) }
        struct Record: Decodable { var folds: Int?; var foldFolders: [String]? }
        let record = try JSONFile.decode(Record.self, from: data, path: file)
        let folders = record.foldFolders ?? (0..<(record.folds ?? 0)).map { "fold-\($0)" }
        guard !folders.isEmpty else { throw LiTSError(.corrupt, path: file, "lists no folds") }
        if let bad = folders.first(where: { $0.isEmpty || $0.contains("/") || $0.hasPrefix(".") }) {
            throw LiTSError(.corrupt, path: file, "fold folder '\(bad)' must be a folder inside the run")
        }
        for f in folders where !FileManager.default.fileExists(atPath: "\(path)/\(f)/\(TrainedRun.configFile)") {
            throw LiTSError(.notFound, path: "\(path)/\(f)", "fold not trained yet (no config.json); train it with `lits train --resume \(path)`, or give the trained folds as --run \(path)/fold-N")
        }
        return (folders.map { "\(path)/\($0)" }, true)
    }

    /// The clean-up recorded in a cross-validation folder (`largestLiver`, `lesionsInLiver`), or
    /// nil when it has none yet.
    public static func recordedPostprocessing(in folder: String) throws -> (largestLiver: Bool, lesionsInLiver: Bool)? {
        let file = "\(folder)/\(postprocessingFile)"
        guard let data = FileManager.default.contents(atPath: file) else { return nil }
        struct Record: Decodable { var largestLiver: Bool; var lesionsInLiver: Bool }
        let r = try JSONFile.decode(Record.self, from: data, path: file)
        return (r.largestLiver, r.lesionsInLiver)
    }

    /// What a run predicts, in words, for the compatibility check.
    static func labels(of config: InferenceConfig) -> String {
        switch config.stage ?? .joint {
        case .joint: return "liver and lesions with one model (stage joint, \(config.model.outChannels) outputs)"
        case .liver: return "liver only (stage liver, \(config.model.outChannels) output)"
        case .lesion: return "lesions on its liver run's box (stage lesion, a cascade)"
        }
    }

    /// Every member's run, checkpoint and model, checked before any case is predicted: each run
    /// readable with the checkpoint asked for, and all predicting the same labels (a refusal names
    /// both runs and the difference).
    public static func load(runs given: [String], job: PredictionJob) throws -> Ensemble {
        precondition(!given.isEmpty, "an ensemble needs a run")
        var paths: [(given: String, run: String, isFold: Bool)] = [], crossValidation: [String] = []
        for g in given {
            let (runs, isCV) = try expand(g)
            if isCV { crossValidation.append(absolute(g)) }
            paths += runs.map { (g, $0, isCV) }
        }
        var seen: [String: String] = [:]
        for p in paths {
            let a = absolute(p.run)
            if let first = seen[a] { throw LiTSError(.invalidArgument, path: p.run, "is given twice (as --run \(first) and --run \(p.given)); each run counts once in an ensemble") }
            seen[a] = p.given
        }
        var members: [Member] = [], first: (path: String, config: InferenceConfig)?
        for p in paths {
            let run = try TrainedRun(reading: p.run)
            if let first, (first.config.stage ?? .joint) != (run.config.stage ?? .joint) || first.config.model.outChannels != run.config.model.outChannels {
                throw LiTSError(.mismatch, path: p.run, "predicts \(labels(of: run.config)), but \(first.path) predicts \(labels(of: first.config)); an ensemble averages runs that predict the same labels")
            }
            if first == nil { first = (p.run, run.config) }
            members.append(try member(run, job: job, isFold: p.isFold))
        }
        var post = members[0].predictor.postprocessOptions, chosenIn: String?
        if job.postprocessingFromRun, crossValidation.count == 1, given.count == 1,
           let recorded = try recordedPostprocessing(in: crossValidation[0]) {
            post.largestLiverComponent = recorded.largestLiver
            post.lesionsInsideLiver = recorded.lesionsInLiver
            chosenIn = "\(crossValidation[0])/\(postprocessingFile)"
            for n in members.indices {
                members[n].predictor.largestLiverComponent = recorded.largestLiver
                members[n].predictor.lesionsInsideLiver = recorded.lesionsInLiver
            }
        }
        return Ensemble(members: members, postprocess: post, crossValidation: crossValidation, postprocessingFile: chosenIn)
    }

    static func absolute(_ path: String) -> String { URL(fileURLWithPath: path).standardizedFileURL.path }

    /// One run's predictor with the job's options (a cascade's pinned liver run loaded and checked).
    static func member(_ run: TrainedRun, job: PredictionJob, isFold: Bool = false) throws -> Member {
        let checkpoint = job.checkpoint ?? (isFold ? .last : run.defaultCheckpoint)
        var context = job.context
        context.precision = job.precision ?? run.config.precision ?? .fp32
        let model = try run.loadModel(checkpoint, context: context)
        var config = run.config
        if let overlap = job.overlap { config.overlap = overlap }
        if let blending = job.blending { config.blending = blending }
        var predictor = Predictor(model: model, config: config)
        var checkpoints = [run.checkpointPath(checkpoint)]
        var sums = [try run.checkpointInfo(checkpoint).sha256 ?? SHA256.hex(try Data(contentsOf: URL(fileURLWithPath: checkpoints[0])))]
        if config.stage == .lesion, let ref = config.liverRun {
            let liver = try TrainedRun(reading: ref.path)
            let file = liver.checkpointPath(ref.checkpoint)
            let info = try liver.checkpointInfo(ref.checkpoint)
            guard info.sha256 == ref.sha256, liver.config.preprocessing == config.preprocessing else {
                throw LiTSError(.mismatch, path: file, "is not the liver checkpoint this lesion stage was trained with (checksum \(info.sha256 ?? "none"), the cascade's config.json pins \(ref.sha256)); restore it or retrain the lesion stage")
            }
            predictor.liverStage = (try liver.loadModel(ref.checkpoint, context: context), liver.config.windowOptions)
            checkpoints.append(file)
            sums.append(ref.sha256)
        }
        predictor.threshold = job.threshold
        predictor.largestLiverComponent = job.largestLiverComponent
        predictor.lesionsInsideLiver = job.lesionsInsideLiver
        predictor.testTimeAugmentation = job.testTimeAugmentation
        return Member(run: absolute(run.path), checkpoints: checkpoints.map(absolute), sha256: sums, predictor: predictor)
    }

    /// The case predicted by every member: one member as `Predictor.predict`; several averaged
    /// on the source grid, then thresholded and cleaned once. `windows` counts the windows.
    public func predict(_ c: LoadedCase, withProbabilities: Bool, windows: WindowCounter? = nil) -> Predictor.Result {
        // Runs that crop to the body share one body mask of the case (found first, so that the
        // progress estimate counts the windows of the box).
        let crops = members.contains { $0.predictor.config.preprocessing.cropToBody == true }
        let box = crops ? BodyMask.box(c.ct) : nil
        let predictors = members.map { m -> Predictor in
            var p = m.predictor
            (p.bodyBox, p.windows) = (box, windows)
            return p
        }
        let estimates = windows == nil ? [] : predictors.map { $0.expectedWindows(c) }
        windows?.expect(estimates.reduce(0, +))
        func predictor(_ n: Int) -> Predictor {
            windows?.expect(-estimates[n])   // the member counts its own windows from here
            return predictors[n]
        }
        if members.count == 1 { return predictor(0).predict(c, withProbabilities: withProbabilities) }
        // Float sums, added in place: two source-grid channels of a full-resolution CT are over
        // a gigabyte each way.
        var sums: [Volume<Float>] = []
        for n in members.indices {
            let probs = predictor(n).sourceProbabilities(c)
            guard !sums.isEmpty else { sums = probs; continue }
            for ch in sums.indices {
                probs[ch].voxels.withUnsafeBufferPointer { v in
                    sums[ch].voxels.withUnsafeMutableBufferPointer { s in for i in s.indices { s[i] += v[i] } }
                }
            }
        }
        let count = Float(members.count)
        let mean = sums.map { s in Volume(grid: s.grid, voxels: s.voxels.map { $0 / count }) }
        let labels = Postprocess.labels(probabilities: mean, options: postprocess)
        return Predictor.Result(labels: labels, probabilities: withProbabilities ? mean : nil)
    }
}
