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
        discussion: """
        The report folder gets index.md, figures/ (montages and charts), charts/ (gnuplot scripts and \
        data), data/cases.csv, data/lesions.csv, data/fingerprint.json, data/summary.json and \
        data/cases/ID.json. With --shard i/n (or in a Slurm array task) only every n-th case \
        (starting at the i-th) is analysed and no page is written; `lits eda merge` combines the \
        shards into the report one run gives.
        """)

    @Argument(help: "Dataset folder(s) or volume files.")
    var data: [String]

    @Option(name: .shortAndLong, help: "Report folder (created; must not be inside the input).")
    var out: String

    @Option(help: "Report title (default: 'EDA report: ' and the folder name).")
    var title: String?

    @Option(help: "Lesion connectivity (voxel neighbours).")
    var connectivity = Connectivity.twentySix

    @OptionGroup var labels: LabelsArgument

    @OptionGroup var sharding: ShardArguments

    @Option(help: "Axial slices per case montage, evenly spaced over the liver.")
    var montageSlices = 8

    @Option(help: "Cases analysed in parallel (memory grows with it: about 4x one case's CT each).")
    var threads = 2

    @Option(help: figuresHelp)
    var figures = FigureFormat.png

    func validate() throws {
        guard montageSlices >= 1 else { throw ValidationError("--montage-slices must be at least 1") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        try runReportingErrors {
            var options = EDARun.Options()
            options.connectivity = connectivity
            options.montageSlices = montageSlices
            options.title = title
            options.figures = figures
            // Under mpirun/srun each rank analyses its share of the cases (of the shard, if one);
            // rank 0 writes the report.
            let cluster = Cluster.world
            options.shard = try sharding.resolved(announce: cluster.rank == 0)
            let total: Int, line: String?, failures: [(Case, String)]
            do {
                (total, line, failures) = try EDARun.run(data, out: out, options: options, threads: threads, group: cluster.group)
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

    @OptionGroup var merging: MergeArguments

    @Option(help: "Report title (default: 'EDA report: ' and the folder name).")
    var title: String?

    @Option(help: "Format of the charts: png, svg or pdf (default: the format the shards were run with; montages keep the shards' format).")
    var figures: FigureFormat?

    func run() throws {
        try runReportingErrors {
            let result = try EDAShards.merge(merging.parts, into: merging.out, title: title, partial: merging.partial, figures: figures)
            for warning in result.warnings { printWarning(warning) }
            print("report: \(merging.out)/index.md (\(result.cases) case(s) from \(merging.parts.count) part(s))")
        }
    }
}
