import ArgumentParser
import LiTSCommandLine
import Foundation
import LiTSCluster
import LiTSAnalysis
import LiTSCore
import LiTSImaging
import LiTSRender

struct Eda: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eda",
        abstract: "Dataset EDA report: HU statistics, lesion 3D components, fingerprint, montages and charts.",
        discussion: RunHelp.discussion(EdaRun.self, command: "lits eda"),
        subcommands: [EdaRun.self, EdaMerge.self],
        defaultSubcommand: EdaRun.self)
}

struct EdaRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Analyse a dataset into a report folder (the default: `lits eda DATA --out DIR`).",
        discussion: CommandHelp.edaRun)

    @OptionGroup var args: EdaRunArguments

    func run() throws {
        try runReportingErrors {
            var options = EDARun.Options()
            options.connectivity = args.connectivity
            options.montageSlices = args.montageSlices
            options.title = args.title
            options.figures = args.figures
            // Under mpirun/srun each rank analyses its share of the cases (of the shard, if one);
            // rank 0 writes the report.
            let cluster = Cluster.world
            options.shard = try args.sharding.resolved(announce: cluster.rank == 0)
            let total: Int, line: String?, failures: [(Case, String)]
            do {
                (total, line, failures) = try EDARun.run(args.data, out: args.out, options: options, threads: args.threads, group: cluster.group)
            } catch let e as EDARun.ReportError {
                // The failed cases first, then why the report is missing.
                for (_, message) in e.failures { printError(message) }
                if !e.failures.isEmpty { printError("\(e.failures.count) of \(e.cases) cases failed: \(e.failures.map { $0.0.id }.joined(separator: ", "))") }
                throw e.error
            }
            guard cluster.rank == 0 else { return }
            if let line { print(line) }
            try reportFailures(failures, total: total)
        }
    }
}

struct EdaMerge: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Combine shard folders from `lits eda --shard i/n` into one report.")

    @OptionGroup var args: EdaMergeArguments

    func run() throws {
        try runReportingErrors {
            let result = try EDAShards.merge(args.merging.parts, into: args.merging.out, title: args.title, partial: args.merging.partial, figures: args.figures)
            for warning in result.warnings { printWarning(warning) }
            print("report: \(args.merging.out)/index.md (\(result.cases) case(s) from \(args.merging.parts.count) part(s))")
        }
    }
}
