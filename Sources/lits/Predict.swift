import ArgumentParser
import LiTSCommandLine
import Foundation
import LiTSCluster
import LiTSCore
import LiTSInference
import LiTSNet

struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Predict whole volumes with a trained run: sliding window, threshold, post-processing, NIfTI on each source grid.",
        discussion: RunHelp.discussion(PredictRun.self, command: "lits predict"),
        subcommands: [PredictRun.self, PredictMerge.self],
        defaultSubcommand: PredictRun.self)
}

struct PredictRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Predict cases into a folder (the default: `lits predict --run RUN DATA --out DIR`).",
        discussion: PredictHelp.run)

    @OptionGroup var args: PredictRunArguments

    func run() throws {
        try runReportingErrors {
            try args.precision?.checkSupported()
            var job = args.job
            // Under mpirun/srun each rank predicts its share of the cases (of the shard, if one);
            // rank 0 writes the record.
            let cluster = Cluster.world
            job.shard = try args.sharding.resolved(announce: cluster.rank == 0)
            let (total, result) = try job.run(runs: args.runFolders, data: args.data, out: args.out, group: cluster.group)
            guard cluster.rank == 0 else { return }
            if let shard = job.shard {
                print("shard \(shard.text): predicted \(result.results.count) of \(total) cases into \(args.out); combine with `lits predict merge`")
            } else {
                print("predicted \(result.results.count) of \(total) cases into \(args.out)")
            }
            try reportFailures(result.failures, total: total)
        }
    }
}

struct PredictMerge: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Combine shard folders from `lits predict --shard i/n` into one prediction folder.",
        discussion: PredictHelp.merge)

    @OptionGroup var merging: MergeArguments

    func run() throws {
        try runReportingErrors {
            let result = try PredictionJob.merge(merging.parts, into: merging.out, partial: merging.partial)
            for warning in result.warnings { printWarning(warning) }
            print("gathered \(result.files) prediction(s) from \(merging.parts.count) part(s) into \(merging.out)")
            printFailedInShards(result.failed)
        }
    }
}
