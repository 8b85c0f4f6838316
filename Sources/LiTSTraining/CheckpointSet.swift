import Foundation
import LiTSCore
import LiTSInference
import LiTSNet

/// `state.json`, the commit point of a run folder: it names the checkpoint set that the run
/// resumes from (the last finished epoch's weights and optimizer state, and the best epoch's
/// weights), with each file's SHA-256, and holds the history, best score and scheduler state.
/// Replacing it (atomically, durably) is what makes an epoch's set current; files it does not
/// name are never loaded.
struct RunState: Codable {
    static let currentFormat = "LiTSKit run state 2"

    /// A file of the set, relative to the run folder, and its SHA-256 (nil only for the files of
    /// a run folder written before checkpoint sets, which are loaded unchecked).
    struct File: Codable, Equatable {
        var file: String
        var sha256: String?
    }

    var format = RunState.currentFormat
    /// The last finished epoch (1-based; 0 before any).
    var epoch: Int
    /// Weights at the end of `epoch`, with their checkpoint config (.json) beside them.
    var last: File
    /// The optimizer's state at the end of `epoch`.
    var optimizer: File
    /// The best epoch's weights (with their .json), nil before one was best.
    var best: File?
    var bestEpoch: Int?
    var trainer: Trainer.ResumeState
}

extension RunFolder {
    static let checkpointsFolder = "checkpoints"

    /// `checkpoints/epoch-0007`: the stem of an epoch's files.
    static func epochStem(_ epoch: Int) -> String { "\(checkpointsFolder)/epoch-\(String(format: "%04d", epoch))" }

    /// Runs one write (or removal) of a save; `failPoint` (tests) may throw before it.
    func step(_ name: String, _ body: () throws -> Void) throws {
        try failPoint?(name)
        try body()
    }

    /// The committed state: state.json, or for a run folder written before checkpoint sets its
    /// old state.json with `last.safetensors` and `last.optimizer.safetensors`; nil when the run
    /// has not finished an epoch.
    func committedState() throws -> RunState? {
        guard let data = FileManager.default.contents(atPath: statePath) else { return nil }
        struct Format: Decodable { var format: String? }
        let decoder = JSONDecoder()
        do {
            switch try decoder.decode(Format.self, from: data).format {
            case RunState.currentFormat?:
                return try decoder.decode(RunState.self, from: data)
            case let other?:
                throw LiTSError(.unsupported, path: statePath, "run state format \"\(other)\" is not one this version reads (\(RunState.currentFormat))")
            case nil:
                let old = try decoder.decode(Trainer.ResumeState.self, from: data)
                let best = FileManager.default.fileExists(atPath: self.best) ? RunState.File(file: TrainedRun.checkpointFile(.best)) : nil
                return RunState(epoch: old.history.last?.epoch ?? 0, last: .init(file: TrainedRun.checkpointFile(.last)),
                                optimizer: .init(file: "last.optimizer.safetensors"), best: best, bestEpoch: nil, trainer: old)
            }
        } catch let e as LiTSError {
            throw e
        } catch {
            throw LiTSError(.corrupt, path: statePath, "not a LiTSKit run state: " + JSONFile.reason(error))
        }
    }

    /// Saves the epoch's set as one unit: its weights (+ .json) and optimizer state under
    /// epoch-stamped names in checkpoints/, each written atomically and flushed to the disk;
    /// then the commit, replacing state.json; then, as copies of what it names,
    /// last/best.safetensors (+ .json) and history.csv; then the files no longer named (the
    /// previous set, leftovers of an interrupted save, interrupted.safetensors) are removed.
    /// A failure at any point leaves either the previous or this epoch's set committed.
    func commitCheckpointSet(_ trainer: Trainer, isBest: Bool) throws {
        let previous = try committedState()
        let epoch = trainer.history.last?.epoch ?? 0
        let stem = RunFolder.epochStem(epoch)
        try step("create \(RunFolder.checkpointsFolder)") {
            do {
                try FileManager.default.createDirectory(atPath: "\(path)/\(RunFolder.checkpointsFolder)", withIntermediateDirectories: true)
            } catch {
                throw LiTSError(.notWritable, path: "\(path)/\(RunFolder.checkpointsFolder)", "cannot create the checkpoints folder")
            }
        }
        var weights = RunState.File(file: "\(stem).safetensors")
        try step(weights.file) {
            weights.sha256 = try Checkpoint.save(trainer.model, to: "\(path)/\(weights.file)", extra: ["epoch": String(epoch)]).sha256
        }
        var optimizer = RunState.File(file: "\(stem).optimizer.safetensors")
        try step(optimizer.file) {
            optimizer.sha256 = try Safetensors.write(trainer.optimizer.stateDict(), to: "\(path)/\(optimizer.file)")
        }
        let state = RunState(epoch: epoch, last: weights, optimizer: optimizer,
                             best: isBest ? weights : previous?.best, bestEpoch: isBest ? epoch : previous?.bestEpoch,
                             trainer: trainer.resumeState)
        try step("state.json") {
            try AtomicFile.write(try RunFolder.encoder().encode(state), to: statePath)
        }
        try publish(state)
        try step("history.csv") {
            try AtomicFile.write(RunFolder.historyCSV(trainer.history), to: "\(path)/history.csv")
        }
        try removeUncommitted(state)
    }

    /// last.safetensors / best.safetensors (+ .json), the names users and `lits predict` load:
    /// hard links to (or copies of) the committed set's files, each put in place atomically.
    func publish(_ state: RunState) throws {
        try expose(state.last, as: .last)
        if let best = state.best { try expose(best, as: .best) }
    }

    func expose(_ source: RunState.File, as choice: CheckpointChoice) throws {
        let name = TrainedRun.checkpointFile(choice)
        guard source.file != name else { return }
        let from = "\(path)/\(source.file)"
        for (file, target) in [(from, name), (Checkpoint.jsonPath(from), Checkpoint.jsonPath(name))] {
            try step(target) {
                try AtomicFile.write(to: "\(path)/\(target)") { temp in
                    do { try FileManager.default.linkItem(atPath: file, toPath: temp) } catch {
                        do { try FileManager.default.copyItem(atPath: file, toPath: temp) } catch {
                            throw LiTSError(.notWritable, path: "\(path)/\(target)", "cannot copy \(source.file) into place")
                        }
                    }
                }
            }
        }
    }

    /// Removes, after a commit, what the committed state no longer names.
    func removeUncommitted(_ state: RunState) throws {
        let fm = FileManager.default
        var keep: Set<String> = [state.last.file, Checkpoint.jsonPath(state.last.file), state.optimizer.file]
        if let best = state.best { keep.formUnion([best.file, Checkpoint.jsonPath(best.file)]) }
        var stale = ((try? fm.contentsOfDirectory(atPath: "\(path)/\(RunFolder.checkpointsFolder)")) ?? [])
            .map { "\(RunFolder.checkpointsFolder)/\($0)" }.filter { !keep.contains($0) }.sorted()
        // A run folder from before checkpoint sets, the Ctrl-C state (the run has now continued
        // past it), and temporary files of a save that was killed.
        stale += ["last.optimizer.safetensors", "interrupted.safetensors", "interrupted.json"]
            .filter { !keep.contains($0) && fm.fileExists(atPath: "\(path)/\($0)") }
        stale += ((try? fm.contentsOfDirectory(atPath: path)) ?? []).filter { name in
            ["state", "last", "best", "history"].contains { name.hasPrefix(".\($0).tmp-") }
        }.sorted()
        for file in stale {
            try step("remove \(file)") { try? fm.removeItem(atPath: "\(path)/\(file)") }
        }
    }

    /// Loads what the committed state names, each file checked against its checksum.
    func restoreCommitted(into trainer: Trainer) throws -> RunState {
        guard let state = try committedState() else {
            throw LiTSError(.notFound, path: statePath, "nothing to resume: the run has not finished an epoch")
        }
        do {
            // A format this version reads (a test fixture of the oldest layout has no .json).
            let weights = "\(path)/\(state.last.file)"
            if FileManager.default.fileExists(atPath: Checkpoint.jsonPath(weights)) { _ = try Checkpoint.info(weights) }
            try trainer.model.loadSafetensors(checked: "\(path)/\(state.last.file)", sha256: state.last.sha256)
            let optimizer = try Safetensors.read("\(path)/\(state.optimizer.file)", sha256: state.optimizer.sha256).tensors
            try trainer.restore(state.trainer, optimizerState: optimizer)
        } catch let e as CheckpointError {
            throw LiTSError(.corrupt, path: e.path, e.reason)
        }
        return state
    }
}
