import ArgumentParser
import Foundation
import LiTSCluster
import LiTSCore
import LiTSEvaluation

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate predictions against ground truth: LiTS metrics, lesion detection, Dice per liver region.",
        subcommands: [EvaluateRun.self, EvaluateMerge.self],
        defaultSubcommand: EvaluateRun.self)
}

struct EvaluateRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Evaluate into a report folder (the default: `lits evaluate --pred P --truth T --out DIR`).",
        discussion: """
        Predictions are NIfTI label maps named segmentation-N.nii[.gz], test-segmentation-N.nii or \
        volume-N's matching name, on the same grid as the truth case N. A folder `lits predict` wrote is \
        scored through its predictions.json: only the files it lists (a listed file that is missing, \
        a prediction-named file it does not list, or a case it records as failed is refused). In \
        another folder a case with more than one candidate file (subfolders included) is refused. The report folder gets \
        index.md, data/cases.csv, data/regions.csv, data/lesions.csv (per truth lesion, with the \
        volume and longest in-plane diameter errors of detected ones), data/lesion-regions.csv \
        (detection, merges and splits, panoptica's RQ/SQ/PQ and BraTS 2023 lesion-wise Dice and \
        HD95 per third of the liver), charts and worst-slice montages. `--compare REPORT_A REPORT_B` instead puts the per-region differences of two \
        reports side by side (for example uniform against liver-biased sampling). \
        `--protocol lits` instead scores as the LiTS challenge's scoring program does, number for \
        number (6-connected lesions, its merge-aware detection at IoU > 0.5 and > 0, its surface \
        distances, tumour burden): index.md, data/scores.txt in the official format, \
        data/lits-scores.json at full precision, data/lits-cases.csv, data/lits-groups.csv. \
        With --shard i/n (or in a Slurm array task; default protocol only) only every n-th truth \
        case (starting at the i-th) is evaluated, into a shard folder without a page; `lits \
        evaluate merge` combines the shards into the report one run gives.
        """)

    @Option(help: "Folder of predicted segmentations.")
    var pred: String?

    @Option(help: "Ground-truth dataset (LiTS or MSD layout).")
    var truth: String?

    @Option(name: .shortAndLong, help: "Report folder (created; must not be inside an input).")
    var out: String

    @Option(parsing: .upToNextOption, help: "Two evaluation reports to compare (instead of --pred/--truth).")
    var compare: [String] = []

    @Option(name: .customLong("protocol"), help: "Scoring rules: default (this toolkit's metrics and report) or lits (the LiTS challenge's scoring program).")
    var scoring: EvaluationProtocol = .standard

    @Option(help: "Dice a truth lesion must reach with the overlapping predicted components to count as detected.")
    var detectionDice = 0.5

    @Flag(help: "Count a lesion as detected on any overlap.")
    var anyOverlap = false

    @Option(help: "Normalized surface Dice tolerance in mm: T for liver and lesion, or LIVER,LESION.")
    var nsdTolerance = NSDTolerances(argument: "2")!

    @Flag(help: "Split the liver into thirds by volume instead of by slices.")
    var regionsByVolume = false

    @Option(help: "Report title.")
    var title = "Evaluation"

    @OptionGroup var sharding: ShardArguments

    func validate() throws {
        if compare.isEmpty {
            guard pred != nil, truth != nil else { throw ValidationError("give --pred and --truth, or --compare REPORT_A REPORT_B") }
        } else {
            guard compare.count == 2 else { throw ValidationError("--compare takes exactly two report folders") }
        }
        if scoring == .lits {
            guard compare.isEmpty else { throw ValidationError("--compare compares default-protocol reports; drop --protocol lits") }
            guard !anyOverlap, !regionsByVolume, detectionDice == 0.5, nsdTolerance.text == "2" else {
                throw ValidationError("--detection-dice, --any-overlap, --regions-by-volume and --nsd-tolerance belong to the default protocol; --protocol lits has the challenge's fixed rules")
            }
        }
        if !compare.isEmpty || scoring == .lits, case .part = sharding.shard {
            throw ValidationError("--shard splits the default protocol's evaluation; --compare and --protocol lits run over every case")
        }
        guard (0...1).contains(detectionDice) else { throw ValidationError("--detection-dice must be in [0, 1]") }
    }

    func run() throws {
        // A run that fails before writing any output leaves no empty folder behind.
        do { try evaluate() } catch { OutputFolder.removeIfUnused(out); throw error }
    }

    func evaluate() throws {
        try runReportingErrors {
            // Under mpirun/srun the default protocol shares the cases out (rank 0 writes the one
            // report); --compare and --protocol lits run on rank 0 alone.
            let cluster = Cluster.world
            if cluster.rank != 0 && (!compare.isEmpty || scoring == .lits) { return }
            if !compare.isEmpty {
                print(try Evaluation.compare(compare[0], compare[1], out: out))
                return
            }
            if scoring == .lits {
                let (total, scores, failures) = try Evaluation.runLiTS(pred: pred!, truth: truth!, out: out, title: title)
                if let scores {
                    print(scores.scoresText, terminator: "")
                    print("report: \(out)/index.md")
                }
                try reportFailures(failures, total: total)
                return
            }
            var options = EvaluationOptions()
            options.detectionDice = detectionDice
            options.anyOverlap = anyOverlap
            options.regionsByVolume = regionsByVolume
            options.nsdToleranceLiver = nsdTolerance.liver
            options.nsdToleranceLesion = nsdTolerance.lesion
            let shard = try sharding.resolved(announce: cluster.rank == 0)
            let (total, summary, failures) = try Evaluation.run(pred: pred!, truth: truth!, out: out, title: title, options: options,
                                                                group: cluster.group, shard: shard)
            guard cluster.rank == 0 else { return }
            if let summary { printCaseLines(summary) }
            if let shard {
                print("shard \(shard.text): evaluated \(summary?.cases.count ?? 0) of \(total) cases into \(out); combine with `lits evaluate merge`")
            } else if summary != nil {
                print("report: \(out)/index.md")
            }
            try reportFailures(failures, total: total)
        }
    }
}

/// One line per evaluated case.
func printCaseLines(_ summary: EvaluationSummary) {
    for e in summary.cases {
        print(String(format: "case %@: liver Dice %.4f, lesion Dice %@, lesions found %d/%d", e.id, e.liver.dice,
                     e.lesion.dice.isNaN ? "-" : String(format: "%.4f", e.lesion.dice), e.lesions.filter(\.detected).count, e.lesions.count))
    }
}

struct EvaluateMerge: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Combine shard folders from `lits evaluate --shard i/n` into one report.",
        discussion: """
        The report (index.md, data/, charts, montages) is the one a single run over every case \
        writes. Parts must come from one split and the same evaluation options.
        """)

    @OptionGroup var merging: MergeArguments

    @Option(help: "Report title.")
    var title = "Evaluation"

    func run() throws {
        try runReportingErrors {
            let result = try Evaluation.merge(merging.parts, into: merging.out, title: title, partial: merging.partial)
            for warning in result.warnings { printWarning(warning) }
            printCaseLines(result.summary)
            print("report: \(merging.out)/index.md (\(result.summary.cases.count) case(s) from \(merging.parts.count) part(s))")
            printFailedInShards(result.failed)
        }
    }
}
