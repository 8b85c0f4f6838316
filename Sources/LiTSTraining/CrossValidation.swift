import Foundation
import LiTSCore
import LiTSImaging
import LiTSInference
import LiTSNet

/// `RUN/crossvalidation.json`: what a cross-validation folder is (written once, before any fold
/// trains; every later `lits train --folds` or `--resume` into RUN must agree with it).
public struct CrossValidationPlan: Codable, Equatable, Sendable {
    public static let fileName = "crossvalidation.json"
    /// nnU-Net's `splits_final.json` format, the folds as trained.
    public static let splitsFile = "splits.json"
    /// The marker command of a cross-validation folder (`.litskit.json`).
    public static let command = "lits train --folds"
    public static func foldFolder(_ k: Int) -> String { "fold-\(k)" }

    public var formatVersion = 1
    public var folds: Int
    public var foldFolders: [String]
    /// Where the folds came from: nnU-Net's seeded K-fold, or the `--splits` file.
    public var splitsSource: String
    /// DATA as given (absolute).
    public var data: String
    /// The preprocessed folder every fold trains on (DATA itself, or RUN/preprocessed).
    public var dataFolder: String
    /// Every fold's training options (the split aside: each fold's own).
    public var options: TrainOptions
    public var preprocessing: PreprocessOptions

    public init(folds: Int, splitsSource: String, data: String, dataFolder: String, options: TrainOptions, preprocessing: PreprocessOptions) {
        self.folds = folds
        self.foldFolders = (0..<folds).map(Self.foldFolder)
        self.splitsSource = splitsSource
        self.data = data
        self.dataFolder = dataFolder
        self.options = options
        self.preprocessing = preprocessing
    }
}

/// What `lits train DATA --out RUN --folds K` (or `--splits FILE`, `--fold k`) asks for.
public struct CrossValidationRequest: Sendable {
    public var data: String
    public var out: String
    /// K; nil with a splits file (its fold count).
    public var folds: Int?
    public var splitsFile: String?
    /// Only this fold (a Slurm array task); nil: every fold in turn.
    public var fold: Int?
    public var options: TrainOptions
    public var preprocessing: PreprocessOptions
    /// The QA gate on raw DATA's cases, before anything is preprocessed (`StartChecks`): nil off,
    /// false errors stop, true errors become warnings (`--allow-qa-errors`).
    public var allowQAErrors: Bool?
    public var warn: @Sendable (String) -> Void = { _ in }

    public init(data: String, out: String, folds: Int?, splitsFile: String?, fold: Int?, options: TrainOptions, preprocessing: PreprocessOptions) {
        (self.data, self.out, self.folds, self.splitsFile, self.fold) = (data, out, folds, splitsFile, fold)
        (self.options, self.preprocessing) = (options, preprocessing)
    }
}

/// A K-fold cross-validation folder:
///
///     crossvalidation.json   the plan (K, the splits' source, DATA, the options)
///     splits.json            the folds, nnU-Net's splits_final.json format
///     splits/fold-k.json     fold k as a `lits train --split` file
///     preprocessed/          raw DATA, preprocessed once for every fold
///     fold-k/                a normal run folder (resumable alone), with its out-of-fold
///                            predictions: validation/ (no post-processing) and
///                            validation-largest-liver/, -lesions-in-liver/, -both/
///     postprocessing.json    the post-processing chosen on the out-of-fold predictions
///     crossval/              the `lits evaluate` report of every case, out of fold, post-processed
///
/// Folds may train in parallel (a Slurm array, one `--fold k` each): the files of RUN itself are
/// written under a blocking lock (`.crossval.lock`), each fold folder is locked by its run.
public struct CrossValidation: Sendable {
    public let path: String
    public let plan: CrossValidationPlan
    public let splits: [FoldSplit]

    public static let lockFile = ".crossval.lock"

    /// Whether `path` is a cross-validation folder.
    public static func isFolder(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: "\(path)/\(CrossValidationPlan.fileName)")
    }

    /// RUN and k when `path` is the fold folder RUN/fold-k of a cross-validation.
    public static func enclosing(foldFolder path: String) -> (run: String, fold: Int)? {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        let name = url.lastPathComponent
        guard name.hasPrefix("fold-"), let k = Int(name.dropFirst(5)), k >= 0 else { return nil }
        let run = url.deletingLastPathComponent().path
        guard isFolder(run), let plan = try? JSONFile.read(CrossValidationPlan.self, from: "\(run)/\(CrossValidationPlan.fileName)"),
              k < plan.folds else { return nil }
        return (run, k)
    }

    public func foldPath(_ k: Int) -> String { "\(path)/\(CrossValidationPlan.foldFolder(k))" }
    func foldSplitFile(_ k: Int) -> String { "\(path)/splits/fold-\(k).json" }
    public var reportPath: String { "\(path)/crossval" }
    public var postprocessingPath: String { "\(path)/\(PostprocessingChoice.fileName)" }

    /// Opens an existing cross-validation folder (`lits train --resume RUN`).
    public init(reading path: String) throws {
        let file = "\(path)/\(CrossValidationPlan.fileName)"
        let plan = try JSONFile.read(CrossValidationPlan.self, from: file)
        _ = try OutputFolder.requireMarker(path, command: CrossValidationPlan.command)
        let splits = try FoldSplits.read("\(path)/\(CrossValidationPlan.splitsFile)")
        guard plan.folds >= 2, splits.count == plan.folds, plan.foldFolders.count == plan.folds else {
            throw LiTSError(.corrupt, path: file, "lists \(plan.folds) folds, splits.json \(splits.count)")
        }
        self.path = path
        self.plan = plan
        self.splits = splits
    }

    init(path: String, plan: CrossValidationPlan, splits: [FoldSplit]) {
        (self.path, self.plan, self.splits) = (path, plan, splits)
    }

    /// A cross-validation in `request.out`, new or joined (a second Slurm array task, a rerun):
    /// every check that needs no training first (the splits file, `--fold` against K, DATA),
    /// then, under RUN's lock, the plan, splits and preprocessed data are written once, or the
    /// existing plan must agree with the request (K, splits, DATA, options).
    public static func create(_ request: CrossValidationRequest) throws -> CrossValidation {
        let fileSplits = try request.splitsFile.map(FoldSplits.read)
        guard let k = request.folds ?? fileSplits?.count else {
            throw LiTSError(.invalidArgument, path: nil, "give --folds K or --splits FILE")
        }
        if let fileSplits, let given = request.folds, given != fileSplits.count {
            throw LiTSError(.mismatch, path: request.splitsFile, "holds \(fileSplits.count) folds, not the \(given) of --folds")
        }
        guard k >= 2 else { throw LiTSError(.invalidArgument, path: nil, "--folds must be at least 2, got \(k)") }
        if let fold = request.fold, !(0..<k).contains(fold) {
            throw LiTSError(.invalidArgument, path: nil, "--fold \(fold): the cross-validation has \(k) folds, numbered 0 to \(k - 1)")
        }
        if request.options.stage == .lesion {
            throw LiTSError(.invalidArgument, path: nil, "--folds trains joint or liver models; a cascade's lesion stage is not cross-validated")
        }
        guard FileManager.default.fileExists(atPath: request.data) else { throw LiTSError(.notFound, path: request.data, "no such file or folder") }
        let out = request.out
        if OutputFolder.isInside(out, request.data) {
            throw LiTSError(.invalidArgument, path: out, "output folder is inside the input \(request.data); choose a folder outside it")
        }
        try refuseForeignFolder(out)
        let created = !FileManager.default.fileExists(atPath: out)
        do { try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true) } catch {
            throw LiTSError.writeFailed(out, "cannot create folder", errno: LiTSError.posixCode(of: error))
        }
        do {
            return try withLock(out) {
                if isFolder(out) { return try joined(request, k: k, fileSplits: fileSplits) }
                return try started(request, k: k, fileSplits: fileSplits)
            }
        } catch {
            if created { removeUnstarted(out) }
            throw error
        }
    }

    /// A folder that is neither new, empty, nor a cross-validation of ours (started: its marker)
    /// is refused.
    static func refuseForeignFolder(_ out: String) throws {
        guard FileManager.default.fileExists(atPath: out), !isFolder(out) else { return }
        if FileManager.default.fileExists(atPath: "\(out)/\(TrainedRun.configFile)") {
            throw LiTSError(.notWritable, path: out, "holds a single training run, not a cross-validation; choose another folder for --folds")
        }
        if (try? OutputFolder.requireMarker(out, command: CrossValidationPlan.command)) != nil { return }
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: out)) ?? []).filter { !$0.hasPrefix(".") }
        if !names.isEmpty || FileManager.default.fileExists(atPath: "\(out)/\(OutputFolder.markerFile)") {
            throw LiTSError(.notWritable, path: out, "folder is not empty and is not a cross-validation folder; refusing to write into it")
        }
    }

    /// What a failed first start left (the lock, the marker, an empty folder it created); a raw
    /// dataset's preprocessed cache stays for the next try.
    static func removeUnstarted(_ out: String) {
        guard !isFolder(out) else { return }
        unlink("\(out)/\(lockFile)")
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: out)) ?? []).filter { !$0.hasPrefix(".") }
        if names.isEmpty { unlink("\(out)/\(OutputFolder.markerFile)") }
        rmdir(out)
    }

    /// The first start: the folds checked against DATA's case ids, then the data (preprocessed
    /// once into RUN/preprocessed when raw), the files of RUN, the plan last.
    static func started(_ request: CrossValidationRequest, k: Int, fileSplits: [FoldSplit]?) throws -> CrossValidation {
        let out = request.out
        let ids = try caseIDs(request.data)
        let splits: [FoldSplit]
        let source: String
        if let fileSplits, let file = request.splitsFile {
            if let problem = FoldSplits.problem(fileSplits, known: Set(ids)) { throw LiTSError(.invalidArgument, path: file, problem) }
            splits = fileSplits
            source = "--splits \(OutputFolder.resolved(file))"
        } else {
            guard k <= ids.count else {
                throw LiTSError(.invalidArgument, path: request.data, "\(k) folds need at least \(k) cases; the data hold \(ids.count)")
            }
            splits = FoldSplits.kFold(ids: ids, folds: k)
            source = "nnU-Net's: scikit-learn KFold(n_splits=\(k), shuffle=True, random_state=12345) on the sorted case ids"
        }
        if let allow = request.allowQAErrors, !PreprocessedFolder.exists(at: request.data) {
            let wanted = Set(splits.flatMap { $0.train + $0.val })
            try QAGate.check(try TrainingRun.labelledCases(request.data).filter { wanted.contains($0.id) }, data: request.data,
                             allow: allow, threads: 2, warn: request.warn)
        }
        try writeMarker(out)
        let dataset = try TrainingRun.preparedData(request.data, run: RunFolder(out), options: request.preprocessing, threads: 2)
        if let missing = splits.flatMap({ $0.train + $0.val }).first(where: { dataset.entry($0) == nil }) {
            throw LiTSError(.noCases, path: request.data, "case \(missing) of the folds could not be preprocessed (see above)")
        }
        let cv = CrossValidation(path: out, plan: CrossValidationPlan(
            folds: k, splitsSource: source, data: OutputFolder.resolved(request.data), dataFolder: OutputFolder.resolved(dataset.path),
            options: request.options, preprocessing: dataset.manifest.options), splits: splits)
        _ = try cv.sourceCases(dataset)  // out-of-fold predictions need every case's source files
        try FoldSplits.write(splits, to: "\(out)/\(CrossValidationPlan.splitsFile)")
        try FileManager.default.createDirectory(atPath: "\(out)/splits", withIntermediateDirectories: true)
        for (n, fold) in splits.enumerated() { try JSONFile.write(fold.dataSplit, to: cv.foldSplitFile(n)) }
        try JSONFile.write(cv.plan, to: "\(out)/\(CrossValidationPlan.fileName)")
        return cv
    }

    /// The cases a run on `data` trains on: a preprocessed folder's, or a raw dataset's labelled ones.
    static func caseIDs(_ data: String) throws -> [String] {
        if PreprocessedFolder.exists(at: data) { return try PreprocessedFolder(reading: data).ids }
        let ids = try Dataset.scan([data]).cases.filter { $0.segmentationPath != nil }.map(\.id)
        guard !ids.isEmpty else { throw LiTSError(.noCases, path: data, "no cases with a segmentation to train on") }
        return ids
    }

    /// A later start into the same RUN must ask for the same cross-validation.
    static func joined(_ request: CrossValidationRequest, k: Int, fileSplits: [FoldSplit]?) throws -> CrossValidation {
        let cv = try CrossValidation(reading: request.out)
        let file = "\(request.out)/\(CrossValidationPlan.fileName)"
        if cv.plan.folds != k {
            throw LiTSError(.mismatch, path: file, "is a \(cv.plan.folds)-fold cross-validation, not \(k)-fold; give --folds \(cv.plan.folds), or another --out folder")
        }
        if let fileSplits, fileSplits != cv.splits {
            throw LiTSError(.mismatch, path: request.splitsFile, "holds other folds than \(request.out)/\(CrossValidationPlan.splitsFile), which the folds trained with; give that file, or another --out folder")
        }
        if fileSplits == nil, cv.plan.splitsSource.hasPrefix("--splits") {
            throw LiTSError(.mismatch, path: file, "was split by \(cv.plan.splitsSource); give the same --splits, or another --out folder")
        }
        if OutputFolder.resolved(request.data) != cv.plan.data && OutputFolder.resolved(request.data) != cv.plan.dataFolder {
            throw LiTSError(.mismatch, path: file, "cross-validates \(cv.plan.data), not \(request.data); give the same DATA, or another --out folder")
        }
        if request.options != cv.plan.options {
            let keys = differingKeys(request.options, cv.plan.options)
            throw LiTSError(.mismatch, path: file, "was started with other training options (\(keys.joined(separator: ", "))); give the same options, or `lits train --resume \(request.out)`")
        }
        return cv
    }

    /// The top-level config keys where two option sets differ.
    static func differingKeys(_ a: TrainOptions, _ b: TrainOptions) -> [String] {
        func object(_ o: TrainOptions) -> [String: Any] {
            ((try? JSONSerialization.jsonObject(with: JSONEncoder().encode(o))) as? [String: Any]) ?? [:]
        }
        let x = object(a), y = object(b)
        let keys = Set(x.keys).union(y.keys).sorted().filter { key in
            let u = x[key].map { "\($0)" }, v = y[key].map { "\($0)" }
            return u != v
        }
        return keys.isEmpty ? ["options"] : keys
    }

    /// The folder marker a cross-validation folder carries (as `OutputFolder` writes them).
    static func writeMarker(_ out: String) throws {
        let marker: [String: String] = ["tool": "LiTSKit", "command": CrossValidationPlan.command, "version": LiTSKitVersion.current,
                                        "created": ISO8601DateFormatter().string(from: Date())]
        try JSONFile.write(marker, to: "\(out)/\(OutputFolder.markerFile)")
    }

    /// `body` while holding RUN's lock (`flock`, waiting for another fold's process to finish
    /// its part).
    static func withLock<T>(_ out: String, _ body: () throws -> T) throws -> T {
        let file = "\(out)/\(lockFile)"
        let fd = open(file, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw LiTSError.writeFailed(file, "cannot create the lock file", errno: errno) }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { throw LiTSError.writeFailed(file, "cannot lock the cross-validation folder", errno: errno) }
        }
        return try body()
    }

    /// Each case's source files (raw DATA: as discovered; a preprocessed folder: as its manifest
    /// recorded them), which out-of-fold predictions are made on and scored against. A missing
    /// source refuses the cross-validation: its predictions belong on the source grid.
    func sourceCases(_ dataset: PreprocessedFolder) throws -> [String: Case] {
        var cases: [String: Case] = [:]
        if plan.data != plan.dataFolder {
            for c in try Dataset.scan([plan.data]).cases { cases[c.id] = c }
        }
        for e in dataset.manifest.cases where cases[e.id] == nil {
            cases[e.id] = Case(id: e.id, volumePath: e.volume, segmentationPath: e.segmentation, layout: .lits)
        }
        for id in splits.flatMap(\.val) {
            guard let c = cases[id] else {
                throw LiTSError(.notFound, path: plan.data, "case \(id) has no source files; out-of-fold predictions are made on each case's source grid")
            }
            guard FileManager.default.fileExists(atPath: c.volumePath), let seg = c.segmentationPath, FileManager.default.fileExists(atPath: seg) else {
                throw LiTSError(.notFound, path: c.segmentationPath.map { FileManager.default.fileExists(atPath: c.volumePath) ? $0 : c.volumePath } ?? c.volumePath,
                                "case \(id)'s source file (recorded in \(dataset.path)/\(PreprocessManifest.fileName)) is not there; out-of-fold predictions are made and scored on the source grid: give the raw data, or restore the file")
            }
        }
        return cases
    }

    /// The preprocessed data every fold trains on.
    func dataset() throws -> PreprocessedFolder { try PreprocessedFolder(reading: plan.dataFolder) }

    // MARK: training the folds

    /// Trains fold k (new, or resumed from its last finished epoch; a finished fold trains no
    /// further). Returns the run, or nil when `stop` interrupted it.
    public func trainFold(_ k: Int, context: NetContext, stop: StopRequest, progress: (String) -> Void,
                          epochFinished: (EpochRecord, _ isBest: Bool) -> Void) throws -> TrainingRun? {
        let fold = foldPath(k)
        let run: TrainingRun
        if FileManager.default.fileExists(atPath: RunFolder(fold).statePath) {
            run = try TrainingRun.resume(fold, context: context)
        } else {
            // The QA gate ran on the raw cases when the cross-validation started.
            run = try TrainingRun.start(data: plan.dataFolder, out: fold, options: plan.options, preprocessing: plan.preprocessing,
                                        splitFile: nil, context: context, checks: StartChecks(split: splits[k].dataSplit))
        }
        return try run.train(stop: stop, progress: progress, epochFinished: epochFinished) ? run : nil
    }

    /// Every step a request leaves to do, in order: the folds (or the one fold) trained, their
    /// out-of-fold predictions, and the report once every fold has its predictions. Returns
    /// what was done; `.interrupted` when `stop` cut a fold short.
    public func run(only: Int?, context: NetContext, stop: StopRequest, events: CrossValidationEvents) throws -> CrossValidationOutcome {
        let dataset = try dataset()
        let cases = try sourceCases(dataset)
        for k in only.map({ [$0] }) ?? Array(0..<plan.folds) {
            events.foldStarted(k)
            guard try trainFold(k, context: context, stop: stop, progress: events.progress, epochFinished: { events.epochFinished(k, $0, $1) }) != nil else {
                return .interrupted(fold: k)
            }
            if try !validationComplete(k) {
                try predictValidation(k, cases: cases, context: context, progress: events.progress)
            }
        }
        let waiting = try (0..<plan.folds).filter { try !validationComplete($0) }
        guard waiting.isEmpty else { return .waiting(folds: waiting) }
        let choice = try CrossValidation.withLock(path) { try currentReport() ?? buildReport(cases: cases) }
        return .reported(choice)
    }
}

/// What the caller hears while a cross-validation runs.
public struct CrossValidationEvents {
    public var foldStarted: (Int) -> Void
    public var progress: (String) -> Void
    public var epochFinished: (Int, EpochRecord, Bool) -> Void

    public init(foldStarted: @escaping (Int) -> Void, progress: @escaping (String) -> Void, epochFinished: @escaping (Int, EpochRecord, Bool) -> Void) {
        (self.foldStarted, self.progress, self.epochFinished) = (foldStarted, progress, epochFinished)
    }
}

public enum CrossValidationOutcome {
    /// Every fold has its out-of-fold predictions; the report and post-processing were written.
    case reported(PostprocessingChoice)
    /// This process's folds are done; these folds still lack their out-of-fold predictions.
    case waiting(folds: [Int])
    case interrupted(fold: Int)
}

extension CrossValidationRequest {
    /// The options as given on the command line, resolved with their recipe as a single run's
    /// are (`TrainChoices.resolve`), once for every fold.
    public init(data: String, out: String, folds: Int?, splitsFile: String?, fold: Int?, choices: TrainChoices) throws {
        if let split = choices.split {
            throw LiTSError(.invalidArgument, path: split, "--split is one run's split; a cross-validation's folds come from --folds K or --splits FILE (nnU-Net's splits_final.json)")
        }
        let raw = !PreprocessedFolder.exists(at: data)
        let (options, preprocessing) = try choices.resolve(fingerprintSpacing: {
            raw ? try Recipe.fingerprintSpacing(try TrainingRun.labelledCases(data)) : nil
        })
        self.init(data: data, out: out, folds: folds, splitsFile: splitsFile, fold: fold, options: options, preprocessing: preprocessing)
    }
}
