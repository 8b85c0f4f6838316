import ArgumentParser
import Foundation
import LiTSCluster
import LiTSCore
import LiTSNet
import LiTSTraining

/// `lits train --folds K [--fold k] [--splits FILE]`: a K-fold cross-validation (nnU-Net's folds)
/// into RUN/fold-0 ... with out-of-fold predictions, the post-processing chosen on them and the
/// report of every case out of fold (docs/cross-validation.md).
public struct FoldArguments: ParsableArguments {
    @Option(help: ArgumentHelp("Cross-validate: train K folds (nnU-Net's: KFold(shuffle, seed 12345) on the sorted case ids) into RUN/fold-0 ... RUN/fold-(K-1), predict each fold's validation cases, choose the post-processing on them and report every case out of fold in RUN/crossval.",
                               valueName: "K"))
    public var folds: Int?

    @Option(help: ArgumentHelp("Train only fold k of the cross-validation (0 to K-1); the report is built by the fold that finishes last. Default inside a Slurm job array: the task's index (SLURM_ARRAY_TASK_ID, as --fold $SLURM_ARRAY_TASK_ID); all: every fold.",
                               valueName: "k|all"))
    public var fold: FoldChoice?

    @Option(help: ArgumentHelp("The folds as nnU-Net's splits_final.json ([{\"train\": [...], \"val\": [...]}, ...]) instead of the computed ones.",
                               valueName: "file"))
    public var splits: String?

    public init() {}

    public var isGiven: Bool { folds != nil || fold != nil || splits != nil }

    public func validate() throws {
        if let folds, folds < 2 { throw ValidationError("--folds must be at least 2") }
    }

    /// The fold to train: --fold k, every fold (--fold all, or outside a Slurm array), or inside
    /// an array task its index (announced, as --shard announces its part).
    func resolvedFold() throws -> Int? {
        switch fold {
        case .one(let k): return k
        case .all: return nil
        case nil:
            guard let text = ProcessInfo.processInfo.environment[SlurmArray.idVariable] else { return nil }
            guard let k = Int(text.trimmingCharacters(in: .whitespaces)), k >= 0 else {
                throw LiTSError(.invalidArgument, path: nil, "\(SlurmArray.idVariable)='\(text)' is not a fold number; give --fold k or --fold all")
            }
            FileHandle.standardError.write(Data("lits: fold \(k) (Slurm array task \(k)); --fold all trains every fold\n".utf8))
            return k
        }
    }

    /// What `lits train` was given besides these options.
    public struct Train {
        public var data: String?, out: String?, resume: String?, threads: Int?
        public var choices: TrainChoices
        public var allowQAErrors: Bool

        public init(data: String?, out: String?, resume: String?, threads: Int?, choices: TrainChoices, allowQAErrors: Bool) {
            (self.data, self.out, self.resume, self.threads) = (data, out, resume, threads)
            (self.choices, self.allowQAErrors) = (choices, allowQAErrors)
        }
    }

    /// Runs `lits train` as a cross-validation when it is one (folds given, or --resume of a
    /// cross-validation folder or of one of its folds); false otherwise.
    public func runIfGiven(_ train: Train) throws -> Bool {
        // A fold resumed with options (--epochs N extends it) is a single run's resume; its
        // predictions and the report follow on the next `--resume RUN`.
        let given = train.choices.givenExceptEpochs.first ?? train.choices.epochs.map { _ in "--epochs" }
        let enclosing = given == nil ? train.resume.flatMap { CrossValidation.enclosing(foldFolder: $0) } : nil
        guard isGiven || train.resume.map(CrossValidation.isFolder) == true || enclosing != nil else { return false }
        try runReportingErrors {
            if Cluster.world.size > 1 {
                throw LiTSError(.invalidArgument, path: nil, "--folds runs one process per fold; give each fold its own job (--fold k, e.g. a Slurm array) instead of mpirun/srun ranks")
            }
            let cv: CrossValidation
            var only = try resolvedFold()
            if let resume = train.resume {
                if folds != nil || splits != nil { throw LiTSError(.invalidArgument, path: resume, "--resume continues the cross-validation as it was started; drop --folds and --splits") }
                if let first = given { throw LiTSError(.invalidArgument, path: resume, "\(first): a resumed cross-validation keeps the options it was started with (crossvalidation.json)") }
                if let enclosing {
                    cv = try CrossValidation(reading: enclosing.run)
                    only = enclosing.fold
                } else {
                    cv = try CrossValidation(reading: resume)
                }
                if let only, !(0..<cv.plan.folds).contains(only) {
                    throw LiTSError(.invalidArgument, path: nil, "--fold \(only): the cross-validation has \(cv.plan.folds) folds, numbered 0 to \(cv.plan.folds - 1)")
                }
            } else {
                guard folds != nil || splits != nil else { throw LiTSError(.invalidArgument, path: nil, "--fold k needs --folds K (or --splits FILE): the same in every task") }
                var request = try CrossValidationRequest(data: train.data!, out: train.out!, folds: folds, splitsFile: splits,
                                                         fold: only, choices: train.choices)
                request.allowQAErrors = train.allowQAErrors
                request.warn = { printWarning($0) }
                cv = try CrossValidation.create(request)
            }
            try run(cv, only: only, train: train)
        }
        return true
    }

    func run(_ cv: CrossValidation, only: Int?, train: Train) throws {
        let stop = StopRequest()
        stop.catchSignals()
        let printer = TrainingProgressPrinter()
        let events = CrossValidationEvents(foldStarted: { k in
            let split = cv.splits[k]
            printNote("fold \(k) of \(cv.plan.folds): train \(split.train.count) cases, validate (out of fold) \(split.val.joined(separator: ", "))")
        }, progress: printer.progress, epochFinished: { k, record, isBest in
            printer.epochFinished(record, isBest: isBest, fold: k)
        })
        let outcome = try cv.run(only: only, context: NetContext(workers: train.threads ?? 2), stop: stop, events: events)
        printer.endProgressLine()
        switch outcome {
        case .interrupted(let k):
            printWarning("interrupted in fold \(k): `lits train --resume \(cv.path)` continues from its last finished epoch")
            throw ExitCode(stop.exitStatus)
        case .waiting(let folds):
            print("cross-validation: the report waits for fold\(folds.count == 1 ? "" : "s") \(folds.map(String.init).joined(separator: ", ")) (their --fold tasks, or `lits train --resume \(cv.path)`)")
        case .reported(let choice):
            print("post-processing: \(choice.summary)")
            print("cross-validation: \(cv.reportPath)/index.md")
        }
    }
}

/// `--fold k` or `--fold all`.
public enum FoldChoice: ExpressibleByArgument, Equatable, Sendable {
    case one(Int)
    case all

    public init?(argument: String) {
        if argument == "all" { self = .all; return }
        guard let k = Int(argument), k >= 0 else { return nil }
        self = .one(k)
    }

    public var defaultValueDescription: String { "all" }
}
