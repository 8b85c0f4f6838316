import ArgumentParser
import LiTSCommandLine
import Foundation
import LiTSCluster
import LiTSCore
import LiTSEvaluation
import LiTSRender

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate predictions against ground truth: LiTS metrics, lesion detection, Dice per liver region.",
        discussion: RunHelp.discussion(EvaluateRun.self, command: "lits evaluate"),
        subcommands: [EvaluateRun.self, EvaluateMerge.self],
        defaultSubcommand: EvaluateRun.self)
}

struct EvaluateRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Evaluate into a report folder (the default: `lits evaluate --pred P --truth T --out DIR`).",
        discussion: CommandHelp.evaluateRun)

    @OptionGroup var args: EvaluateRunArguments

    func run() throws {
        // A run that fails before writing any output leaves no empty folder behind.
        do { try evaluate() } catch { OutputFolder.removeIfUnused(args.out); throw error }
    }

    func evaluate() throws {
        try runReportingErrors {
            // Under mpirun/srun the default protocol shares the cases out (rank 0 writes the one
            // report); --compare and --protocol lits run on rank 0 alone.
            let cluster = Cluster.world
            if cluster.rank != 0 && (!args.compare.isEmpty || args.scoring == .lits) { return }
            if !args.compare.isEmpty {
                print(try Evaluation.compare(args.compare, out: args.out, figures: args.figures))
                return
            }
            if args.scoring == .lits {
                let (total, scores, failures) = try Evaluation.runLiTS(pred: args.pred!, truth: args.truth!, out: args.out, title: args.title, missing: args.missing)
                if let scores {
                    print(scores.scoresText, terminator: "")
                    print("scores over \(scores.cases) of \(total) cases")
                    print("report: \(args.out)/index.md")
                }
                try reportUnscored(failures, total: total, reported: scores != nil, missing: args.missing)
                return
            }
            var options = EvaluationOptions()
            options.detectionDice = args.detectionDice
            options.anyOverlap = args.anyOverlap
            options.regionsByVolume = args.regionsByVolume
            options.nsdToleranceLiver = args.nsdTolerance.liver
            options.nsdToleranceLesion = args.nsdTolerance.lesion
            options.missing = args.missing
            options.figures = args.figures
            let shard = try args.sharding.resolved(announce: cluster.rank == 0)
            let (total, summary, failures) = try Evaluation.run(pred: args.pred!, truth: args.truth!, out: args.out, title: args.title, options: options,
                                                                group: cluster.group, shard: shard)
            guard cluster.rank == 0 else { return }
            if let summary { printCaseLines(summary) }
            if let shard {
                print("shard \(shard.text): evaluated \(summary?.cases.count ?? 0) of \(total) cases into \(args.out); combine with `lits evaluate merge`")
            } else if summary != nil {
                print("means over \(summary!.cases.count) of \(summary!.rows.count) cases")
                print("report: \(args.out)/index.md")
            }
            try reportUnscored(failures, total: total, reported: summary != nil, missing: args.missing)
        }
    }
}

struct EvaluateMerge: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Combine shard folders from `lits evaluate --shard i/n` into one report.",
        discussion: CommandHelp.evaluateMerge)

    @OptionGroup var args: EvaluateMergeArguments

    func run() throws {
        try runReportingErrors {
            let result = try Evaluation.merge(args.merging.parts, into: args.merging.out, title: args.title, partial: args.merging.partial, figures: args.figures)
            for warning in result.warnings { printWarning(warning) }
            printCaseLines(result.summary)
            print("report: \(args.merging.out)/index.md (\(result.summary.cases.count) case(s) from \(args.merging.parts.count) part(s))")
            printFailedInShards(result.failed)
        }
    }
}
