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
        discussion: """
        Arrays are float32 (CT, [0, 1]) and uint8 (labels 0/1/2), C order with shape (nz, ny, nx) in \
        canonical RAS+ orientation. manifest.json records each case's source files, original grid \
        and affine and the new grid, so predictions can be mapped back onto the original files. \
        With --shard i/n (or in a Slurm array task) only every n-th case (starting at the i-th) is \
        preprocessed, into a shard folder; `lits preprocess merge` combines the shards into the \
        folder one run gives.
        """)

    @Argument(help: "Dataset folder(s) or volume files.")
    var data: [String]

    @Option(name: .shortAndLong, help: "Output folder (created; must not be inside the input).")
    var out: String

    @OptionGroup var preprocessing: PreprocessingArguments

    @Option(help: "CT interpolation (labels always use nearest neighbour).")
    var interpolation = CTInterpolation.linear

    @Option(help: "Contrast enhancement before resampling.")
    var equalize = EqualizeChoice.none

    @OptionGroup var enhancement: EnhancementArguments

    @OptionGroup var labels: LabelsArgument

    @OptionGroup var sharding: ShardArguments

    @Option(help: "Cases processed in parallel.")
    var threads = 2

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        try runReportingErrors {
            var options = preprocessing.options
            options.interpolation = interpolation.interpolation
            if let method = equalize.method {
                options.equalize = method
                options.enhancement = enhancement.options
            }
            // Under mpirun/srun each rank takes its share of the cases (of the shard, if one); rank 0
            // writes the manifest and reports.
            let cluster = Cluster.world
            let shard = try sharding.resolved(announce: cluster.rank == 0)
            let (total, result) = try PreprocessedFolder.create(from: data, out: out, options: options, threads: threads,
                                                                group: cluster.group, shard: shard)
            guard cluster.rank == 0 else { return }
            if let shard {
                print("shard \(shard.text): preprocessed \(result.results.count) of \(total) cases into \(out); combine with `lits preprocess merge`")
            } else if !result.results.isEmpty {
                print("preprocessed \(result.results.count) of \(total) cases into \(out)")
            }
            try reportFailures(result.failures, total: total)
        }
    }
}

struct PreprocessMerge: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Combine shard folders from `lits preprocess --shard i/n` into one preprocessed folder.",
        discussion: """
        The arrays are copied and one manifest.json lists every case in the order one run gives. \
        Parts must come from one split and the same options.
        """)

    @OptionGroup var merging: MergeArguments

    func run() throws {
        try runReportingErrors {
            let result = try PreprocessedFolder.merge(merging.parts, into: merging.out, partial: merging.partial)
            for warning in result.warnings { printWarning(warning) }
            print("preprocessed \(result.cases) case(s) from \(merging.parts.count) part(s) into \(merging.out)")
            printFailedInShards(result.failed)
        }
    }
}
