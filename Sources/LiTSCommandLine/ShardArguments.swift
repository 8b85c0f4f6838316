import ArgumentParser
import Foundation
import LiTSCore

/// `--shard` of the dataset commands (eda, preprocess, predict, evaluate): one part of the cases
/// into a shard folder, merged afterwards by the command's `merge`. Inside a Slurm job array the
/// task's part is taken from the SLURM_ARRAY_TASK_* variables unless `--shard` says otherwise.
public struct ShardArguments: ParsableArguments {
    public init() {}

    @Option(help: ArgumentHelp("Compute only part i of n of the cases (1-based: every n-th case from the i-th), e.g. 3/8, into a shard folder for `merge`. Default inside a Slurm job array: the task's part (SLURM_ARRAY_TASK_*); none: every case.",
                               valueName: "i/n|none"))
    public var shard: ShardChoice?

    /// The part to compute, nil for every case. A part taken from Slurm's variables is announced
    /// on stderr (by `announce`, rank 0), so a task that meant the whole dataset sees why not.
    public func resolved(announce: Bool) throws -> JobShard? {
        let environment = ProcessInfo.processInfo.environment
        let part = try ShardChoice.resolve(shard, environment: environment)
        if announce, shard == nil, let part {
            let id = environment[SlurmArray.idVariable] ?? "?"
            FileHandle.standardError.write(Data("lits: shard \(part.text) (Slurm array task \(id)); --shard none processes every case\n".utf8))
        }
        return part
    }
}

/// After a merge: the cases that failed in their shard task (the task said why and exited
/// non-zero; the merged output lists them as failed).
public func printFailedInShards(_ failed: [String: String]) {
    guard !failed.isEmpty else { return }
    printWarning("\(failed.count) case(s) failed in their shard and are left out: \(failed.keys.sorted().joined(separator: ", "))")
}

/// The folders a `merge` subcommand combines, where it writes, and whether missing shards are allowed.
public struct MergeArguments: ParsableArguments {
    public init() {}

    @Argument(help: "Shard folders.")
    public var parts: [String]

    @Option(name: .shortAndLong, help: "Output folder (created).")
    public var out: String

    @Flag(help: "Merge even when some shards i/n are missing (a cluster job that did not finish).")
    public var partial = false
}
