import ArgumentParser
import LiTSCommandLine
import Foundation
import LiTSCluster
import LiTSCore
import LiTSImaging

struct Preprocess: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Window, resample and normalise cases into volN.npy / maskN.npy plus manifest.json.",
        discussion: RunHelp.discussion(PreprocessRun.self, command: "lits preprocess"),
        subcommands: [PreprocessRun.self, PreprocessMerge.self],
        defaultSubcommand: PreprocessRun.self)
}

struct PreprocessRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Preprocess a dataset into a folder (the default: `lits preprocess DATA --out DIR`).",
        discussion: CommandHelp.preprocessRun)

    @OptionGroup var args: PreprocessRunArguments

    func run() throws {
        try runReportingErrors {
            var options = args.preprocessing.options
            options.interpolation = args.interpolation.interpolation
            if let method = args.equalize.method {
                options.equalize = method
                options.enhancement = args.enhancement.options
            }
            // Under mpirun/srun each rank takes its share of the cases (of the shard, if one); rank 0
            // writes the manifest and reports.
            let cluster = Cluster.world
            let shard = try args.sharding.resolved(announce: cluster.rank == 0)
            let (total, result) = try PreprocessedFolder.create(from: args.data, out: args.out, options: options, threads: args.threads,
                                                                group: cluster.group, shard: shard)
            guard cluster.rank == 0 else { return }
            if let shard {
                print("shard \(shard.text): preprocessed \(result.results.count) of \(total) cases into \(args.out); combine with `lits preprocess merge`")
            } else if !result.results.isEmpty {
                print("preprocessed \(result.results.count) of \(total) cases into \(args.out)")
            }
            try reportFailures(result.failures, total: total)
        }
    }
}

struct PreprocessMerge: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Combine shard folders from `lits preprocess --shard i/n` into one preprocessed folder.",
        discussion: CommandHelp.preprocessMerge)

    @OptionGroup var args: PreprocessMergeArguments

    func run() throws {
        try runReportingErrors {
            let result = try PreprocessedFolder.merge(args.merging.parts, into: args.merging.out, partial: args.merging.partial)
            for warning in result.warnings { printWarning(warning) }
            print("preprocessed \(result.cases) case(s) from \(args.merging.parts.count) part(s) into \(args.merging.out)")
            printFailedInShards(result.failed)
        }
    }
}
