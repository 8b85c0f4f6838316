import Foundation
import LiTSCore
import LiTSImaging
import LiTSInference
import LiTSNet

/// What a new run checks before its first batch, besides its options: the QA gate and the
/// advice for a finished run.
public struct StartChecks: Sendable {
    /// nil: no QA gate (the library's callers that checked their data); false: QA errors stop the
    /// run; true: each becomes a warning (`--allow-qa-errors`).
    public var allowQAErrors: Bool?
    /// `--epochs` as given, for the advice on a finished run (`--resume RUN --epochs N`).
    public var epochsGiven: Int?
    /// A split given as ids rather than a file (a fold of a cross-validation).
    public var split: DataSplit?
    /// Where the QA gate's warnings, and notes on what it did not check, go.
    public var warn: @Sendable (String) -> Void = { _ in }
    public var note: @Sendable (String) -> Void = { _ in }

    public init(allowQAErrors: Bool? = nil, epochsGiven: Int? = nil, split: DataSplit? = nil,
                warn: @escaping @Sendable (String) -> Void = { _ in }, note: @escaping @Sendable (String) -> Void = { _ in }) {
        self.allowQAErrors = allowQAErrors
        self.epochsGiven = epochsGiven
        self.split = split
        self.warn = warn
        self.note = note
    }
}

extension TrainingRun {
    /// `lits train DATA --out RUN` with the options as given: the recipe resolved (`TrainChoices`),
    /// every check made before the first batch, and the run started.
    public static func start(data: String, out: String, choices: TrainChoices, checks: StartChecks,
                             context: NetContext = .default, group: ProcessGroup? = nil) throws -> TrainingRun {
        let raw = !PreprocessedFolder.exists(at: data)
        let (options, preprocessing) = try choices.resolve(fingerprintSpacing: {
            raw ? try Recipe.fingerprintSpacing(try labelledCases(data)) : nil
        })
        var checks = checks
        checks.epochsGiven = choices.epochs
        return try start(data: data, out: out, options: options, preprocessing: preprocessing, splitFile: choices.split,
                         liverRun: choices.liverRun, context: context, group: group, checks: checks)
    }

    /// The raw cases with a segmentation, the ones a run on raw data trains on.
    static func labelledCases(_ data: String) throws -> [Case] {
        let cases = try Dataset.discover(data).filter { $0.segmentationPath != nil }
        guard !cases.isEmpty else { throw LiTSError(.noCases, path: data, "no cases with a segmentation to train on") }
        return cases
    }

    /// The case ids of DATA before any preprocessing, and its raw cases when it is a raw dataset
    /// (nil cases: a preprocessed folder, or a raw dataset whose preprocessed copy in the run is
    /// reused). Nil when DATA cannot be read yet (the later steps say why).
    static func earlyCases(_ data: String, run: RunFolder) throws -> (ids: [String], cases: [Case]?)? {
        if PreprocessedFolder.exists(at: data) { return (try PreprocessedFolder(reading: data).ids, nil) }
        let cases = try labelledCases(data)
        return (cases.map(\.id), cases)
    }

    /// Every id of the split is a case of the data: one line naming the file and the missing ids.
    static func requireCases(_ split: DataSplit, in ids: [String], splitFile: String?, data: String) throws {
        let known = Set(ids)
        var seen = Set<String>()
        let missing = (split.train + split.validation + split.test).filter { !known.contains($0) && seen.insert($0).inserted }
        guard !missing.isEmpty else { return }
        let shown = ids.sorted().prefix(20).joined(separator: ", ") + (ids.count > 20 ? ", ..." : "")
        throw LiTSError(.notFound, path: splitFile ?? data,
                        "names case\(missing.count == 1 ? "" : "s") \(missing.joined(separator: ", ")) that \(data) does not have (its cases: \(shown))")
    }

    /// `lits train --resume RUN` with the options as given: any option that would change the run is
    /// refused; `--epochs N` sets the run's length (extending a finished run), bit for bit the run
    /// trained to N from the start, except under the poly schedule, which depends on the length.
    public static func resume(_ path: String, choices: TrainChoices, context: NetContext = .default,
                              group: ProcessGroup? = nil) throws -> TrainingRun {
        if let first = choices.givenExceptEpochs.first {
            throw LiTSError(.invalidArgument, path: nil, "\(first): a resumed run keeps its options (\(path)/config.json); only --epochs N may be given (to extend it), or start a new run with --out")
        }
        if let epochs = choices.epochs {
            // Rank 0 rewrites config.json; the others wait for it (and stop if it failed).
            var failure: Error?
            if (group?.rank ?? 0) == 0 {
                do { try setEpochs(epochs, of: path) } catch { failure = error }
            }
            if let group, group.size > 1, group.any(failure != nil), failure == nil {
                throw LiTSError(.invalidArgument, path: nil, "rank 0 could not set --epochs (see its error)")
            }
            if let failure { throw failure }
        }
        return try resume(path, context: context, group: group)
    }

    /// Writes `epochs` into the run's config.json, where the run can be trained to it bit for bit.
    static func setEpochs(_ epochs: Int, of path: String) throws {
        let folder = RunFolder(path)
        try OutputFolder.reopen(path, command: TrainedRun.command)
        var options = try folder.readConfig()
        guard epochs != options.epochs else { return }
        let finished = try folder.committedState()?.epoch ?? 0
        if epochs < finished {
            throw LiTSError(.invalidArgument, path: nil, "--epochs \(epochs): the run \(path) has already finished \(finished) epochs")
        }
        if options.lrSchedule == .poly {
            throw LiTSError(.invalidArgument, path: nil, "--epochs \(epochs): the poly schedule of \(path) decays to its \(options.epochs) epochs, so \(epochs) would not be the run trained to \(epochs) from the start; start a new run with --out")
        }
        options.epochs = epochs
        try folder.writeConfig(options)
    }
}
