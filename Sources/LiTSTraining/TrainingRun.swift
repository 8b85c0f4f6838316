import Foundation
import LiTSCore
import LiTSImaging
import LiTSInference
import LiTSNet

/// `lits train`: a run folder and its trainer, new or resumed, trained epoch by epoch with a save
/// after each. The CLI parses options and prints; everything else happens here.
///
/// Data parallel (a process group of N > 1 ranks): rank 0 alone prepares, locks and writes the
/// run folder (config, history, checkpoints, reports); the other ranks wait for it, then read
/// the config (and on resume the committed checkpoint set) from the same folder, which must be
/// on a file system every rank sees.
public final class TrainingRun {
    public let folder: RunFolder
    public let trainer: Trainer
    /// A new run whose folder this run created: should it fail before finishing an epoch, it
    /// removes what it wrote (`RunFolder.removeUnstarted`).
    var createdFolder = false

    init(folder: RunFolder, trainer: Trainer, createdFolder: Bool = false) {
        self.folder = folder
        self.trainer = trainer
        self.createdFolder = createdFolder
    }

    /// A new run in `out` on `data`: a `lits preprocess` folder as it is, or a raw dataset
    /// preprocessed into `out/preprocessed` with `preprocessing` (reused when it exists). The
    /// split is read from `splitFile`, or a seeded 60/20/20 shuffle; `options.split`,
    /// `preprocessing` and `dataFolder` are filled in here.
    ///
    /// `options.stage` picks the model's channels; a lesion stage needs `liverRun`, a `--stage
    /// liver` run, whose preprocessing it takes over (raw data) or must match (a preprocessed
    /// folder), and which it pins by its best checkpoint's checksum.
    public static func start(data: String, out: String, options: TrainOptions, preprocessing: PreprocessOptions,
                             splitFile: String?, liverRun: String? = nil, context: NetContext = .default,
                             group: ProcessGroup? = nil, checks: StartChecks = StartChecks()) throws -> TrainingRun {
        try requireDivisibleBatch(options, group: group)
        let run = try onRankZero(group) {
            try startHere(data: data, out: out, options: options, preprocessing: preprocessing, splitFile: splitFile,
                          liverRun: liverRun, context: context, group: group, checks: checks)
        }
        if let run { return joined(run) }
        let folder = RunFolder(out)
        let config = try folder.readConfig()
        return try joined(TrainingRun(folder: folder, trainer: Trainer(options: config, data: try PreprocessedFolder(reading: config.dataFolder),
                                                                       context: context, group: group)))
    }

    /// The global batch splits into equal shares, one a rank.
    static func requireDivisibleBatch(_ options: TrainOptions, group: ProcessGroup?) throws {
        guard let group, group.size > 1 else { return }
        let batch = options.volumesPerBatch * options.patchesPerVolume
        if batch % group.size != 0 {
            throw LiTSError(.invalidArgument, path: nil, "the global batch of \(batch) patches (--volumes-per-batch x --patches-per-volume) does not split over \(group.size) ranks; use a rank count that divides it")
        }
    }

    /// `body` on rank 0 (alone: nil elsewhere), the other ranks waiting for it; when it throws
    /// there, the others stop too (rank 0 reports the error).
    static func onRankZero(_ group: ProcessGroup?, _ body: () throws -> TrainingRun) throws -> TrainingRun? {
        guard let group, group.size > 1 else { return try body() }
        var result: Result<TrainingRun, Error>?
        if group.rank == 0 { result = Result { try body() } }
        var failed = false
        if case .failure = result { failed = true }
        if group.any(failed) {
            if case .failure(let error)? = result { throw error }
            throw LiTSError(.invalidArgument, path: nil, "rank 0 could not set up the run (see its error)")
        }
        return try result?.get()
    }

    /// Every rank starts from rank 0's weights (called by every rank, after `onRankZero`).
    static func joined(_ run: TrainingRun) -> TrainingRun {
        run.trainer.broadcastWeights()
        return run
    }

    public var isWriter: Bool { (trainer.group?.rank ?? 0) == 0 }

    static func startHere(data: String, out: String, options: TrainOptions, preprocessing: PreprocessOptions,
                          splitFile: String?, liverRun: String?, context: NetContext, group: ProcessGroup?,
                          checks: StartChecks) throws -> TrainingRun {
        let folder = RunFolder(out)
        var options = options
        var preprocessing = preprocessing
        let stage = options.stage ?? .joint
        (options.model.inChannels, options.model.outChannels) = InferenceConfig.channels(of: stage)
        var liver: TrainedRun?
        switch (stage, liverRun) {
        case (.lesion, nil):
            throw LiTSError(.invalidArgument, path: nil, "--stage lesion needs --liver-run RUN, a run trained with --stage liver")
        case (.lesion, let path?):
            let run = try TrainedRun(reading: path)
            guard run.config.stage == .liver else {
                throw LiTSError(.invalidArgument, path: "\(path)/\(TrainedRun.configFile)", "not a --stage liver run (stage \(run.config.stage?.rawValue ?? "joint"))")
            }
            let checkpoint = run.checkpointPath(.best)
            guard let sha256 = try? Checkpoint.info(checkpoint).sha256 else {
                throw LiTSError(.notFound, path: checkpoint, "the liver run has no checksummed best checkpoint (has it finished an epoch?)")
            }
            let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
            options.liverRun = LiverRunReference(path: absolute, checkpoint: .best, sha256: sha256)
            options.liverMargin = options.liverMargin ?? 10
            preprocessing = run.config.preprocessing
            liver = run
        case (_, _?):
            throw LiTSError(.invalidArgument, path: nil, "--liver-run is for --stage lesion only")
        default:
            options.liverRun = nil
            options.liverMargin = nil
        }
        let created = !FileManager.default.fileExists(atPath: out)
        try OutputFolder.prepare(out, inputs: [data], command: TrainedRun.command)
        do {
            return try prepareRun(folder, data: data, options: options, preprocessing: preprocessing, splitFile: splitFile,
                                  liver: liver, context: context, group: group, createdFolder: created, checks: checks)
        } catch {
            if created { folder.removeUnstarted() }
            throw error
        }
    }

    /// The rest of a new run's start, once its folder is claimed: the data, the split, the
    /// checks, and config.json.
    static func prepareRun(_ folder: RunFolder, data: String, options: TrainOptions, preprocessing: PreprocessOptions,
                           splitFile: String?, liver: TrainedRun?, context: NetContext, group: ProcessGroup?,
                           createdFolder: Bool, checks: StartChecks = StartChecks()) throws -> TrainingRun {
        var options = options
        let out = folder.path
        if FileManager.default.fileExists(atPath: folder.statePath) {
            let extend = checks.epochsGiven.map { " --epochs \($0)" } ?? ""
            throw LiTSError(.notWritable, path: out, "holds a training run with finished epochs; continue it with `lits train --resume \(out)\(extend)`\(extend.isEmpty ? "" : " (--epochs N extends a finished run)"), or choose another folder")
        }
        // Before anything is preprocessed or trained: the patch fits the model and memory, the
        // split names cases that exist, and the cases to train on pass `lits qa`.
        let p = options.patch
        if let problem = options.model.problem(withInput: [1, options.model.inChannels, p.d, p.h, p.w]) {
            throw LiTSError(.invalidArgument, path: nil, "--patch: \(problem)")
        }
        // Each rank holds the activations of its share of the batch.
        let batch = options.volumesPerBatch * options.patchesPerVolume / max(1, group?.size ?? 1)
        try MemoryBudget.check(options.model.trainingBytes(batch: batch, voxels: p.count),
                               for: "training \(batch) patches of \(p) with filters \(options.model.filters)", path: nil,
                               advice: "use a smaller --patch, fewer --filters or fewer patches per batch")
        let fileSplit = try checks.split ?? splitFile.map(DataSplit.read)
        if let (ids, cases) = try earlyCases(data, run: folder) {
            if let fileSplit { try requireCases(fileSplit, in: ids, splitFile: splitFile, data: data) }
            if let allow = checks.allowQAErrors, let cases {
                let split = fileSplit ?? DataSplit.seeded(ids: ids, seed: options.seed)
                let wanted = Set(split.train + split.validation)
                try QAGate.check(cases.filter { wanted.contains($0.id) }, data: data, allow: allow, threads: 2, warn: checks.warn)
            } else if checks.allowQAErrors != nil {
                checks.note("\(data) is preprocessed: the QA gate checks raw cases only; `lits qa` on its sources checks them")
            }
        }
        let dataset = try preparedData(data, run: folder, options: preprocessing, threads: 2)
        if let liver, dataset.manifest.options != liver.config.preprocessing {
            throw LiTSError(.mismatch, path: "\(dataset.path)/\(PreprocessManifest.fileName)",
                            "preprocessed differently from the liver run \(liver.path); give the raw data, or a folder preprocessed as the liver run was")
        }
        options.preprocessing = dataset.manifest.options
        options.dataFolder = dataset.path
        options.split = fileSplit ?? DataSplit.seeded(ids: dataset.ids, seed: options.seed)
        // A case that could not be preprocessed is missing now.
        try requireCases(options.split, in: dataset.ids, splitFile: splitFile, data: dataset.path)
        if let problem = options.problem { throw LiTSError(.invalidArgument, path: nil, problem) }
        try requireLiver(in: dataset, ids: options.split.train)
        options.threads = options.threads ?? context.workers
        try folder.writeConfig(options)
        return TrainingRun(folder: folder, trainer: Trainer(options: options, data: dataset, context: context, group: group),
                           createdFolder: createdFolder)
    }

    /// The run in `path`, restored to the end of its last finished epoch. Data parallel, rank 0
    /// restores (and repairs) the checkpoint set first; the others then read it as it is.
    public static func resume(_ path: String, context: NetContext = .default, group: ProcessGroup? = nil) throws -> TrainingRun {
        let folder = RunFolder(path)
        func load(repair: Bool) throws -> TrainingRun {
            // The writing rank takes the folder's lock, as a new run does.
            if repair { try OutputFolder.reopen(path, command: TrainedRun.command) }
            let options = try folder.readConfig()
            if let problem = options.problem { throw LiTSError(.corrupt, path: folder.configPath, problem) }
            try requireDivisibleBatch(options, group: group)
            let trainer = Trainer(options: options, data: try PreprocessedFolder(reading: options.dataFolder), context: context, group: group)
            if repair { try folder.restore(into: trainer) } else { _ = try folder.restoreCommitted(into: trainer) }
            return TrainingRun(folder: folder, trainer: trainer)
        }
        if let run = try onRankZero(group, { try load(repair: true) }) { return joined(run) }
        return joined(try load(repair: false))
    }

    /// Training on labels without any liver would run to the end with Dice 0 and learn nothing.
    static func requireLiver(in dataset: PreprocessedFolder, ids: [String]) throws {
        let counts = ids.compactMap { dataset.entry($0)?.labelCounts }
        guard counts.count == ids.count, !ids.isEmpty else { return }  // older manifests record no counts
        if counts.allSatisfy({ $0.dropFirst().reduce(0, +) == 0 }) {
            throw LiTSError(.invalidValues, path: "\(dataset.path)/\(PreprocessManifest.fileName)",
                            "no training case has liver or tumour voxels (labels are all background): nothing to learn; check the segmentations")
        }
    }

    /// A preprocessed folder as it is, or a raw dataset preprocessed into RUN/preprocessed.
    static func preparedData(_ path: String, run: RunFolder, options: PreprocessOptions, threads: Int) throws -> PreprocessedFolder {
        if PreprocessedFolder.exists(at: path) { return try PreprocessedFolder(reading: path) }
        let cache = "\(run.path)/preprocessed"
        if PreprocessedFolder.exists(at: cache) { return try PreprocessedFolder(reading: cache) }
        let cases = try Dataset.discover(path).filter { $0.segmentationPath != nil }
        guard !cases.isEmpty else { throw LiTSError(.noCases, path: path, "no cases with a segmentation to train on") }
        try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
        let result = try PreprocessedFolder.write(cases, options: options, into: cache, threads: threads)
        for (_, message) in result.failures { FileHandle.standardError.write(Data("lits: error: \(message)\n".utf8)) }
        guard !result.results.isEmpty else {
            rmdir(cache)  // empty: nothing was preprocessed
            throw LiTSError(.noCases, path: path, "no case could be preprocessed for training")
        }
        return try PreprocessedFolder(reading: cache)
    }

    /// Trains the remaining epochs, saving the run after each. `stop` is polled after every batch;
    /// when it was requested, `interrupted.safetensors` is saved and the result is false.
    public func train(stop: StopRequest, progress: (String) -> Void,
                      epochFinished: (EpochRecord, _ isBest: Bool) -> Void) throws -> Bool {
        let finished: Bool
        do {
            finished = try trainer.train(shouldStop: { stop.isRequested }, report: progress, endOfEpoch: { record, isBest in
                if isWriter { try folder.save(trainer, isBest: isBest) }
                epochFinished(record, isBest)
            })
        } catch let d as Trainer.Divergence {
            cleanUpFailedStart()
            throw LiTSError(.invalidValues, path: folder.path, divergenceMessage(d))
        } catch {
            cleanUpFailedStart()
            throw error
        }
        if !finished && isWriter { try folder.saveInterrupted(trainer) }
        return finished
    }

    /// "training diverged at epoch 2 batch 3 (loss is NaN); the last finite checkpoint (epoch 1)
    /// is kept; lower --lr".
    func divergenceMessage(_ d: Trainer.Divergence) -> String {
        let at = "epoch \(d.epoch)" + (d.batch.map { " batch \($0)" } ?? " validation")
        let kept = trainer.history.last.map { "the last finite checkpoint (epoch \($0.epoch)) is kept" }
            ?? "no epoch had finished, so no checkpoint is kept"
        return "training diverged at \(at) (\(d.what)); \(kept); lower --lr"
    }

    /// A new run in a folder it created that fails before finishing an epoch leaves nothing.
    func cleanUpFailedStart() {
        if isWriter && createdFolder && trainer.history.isEmpty { folder.removeUnstarted() }
    }
}
