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
        discussion: """
        Predictions are NIfTI label maps named segmentation-N.nii[.gz], test-segmentation-N.nii or \
        volume-N's matching name, on the same grid as the truth case N. A folder `lits predict` wrote is \
        scored through its predictions.json: only the files it lists (a listed file that is missing \
        or a prediction-named file it does not list refuses the folder). In another folder a case \
        with more than one candidate file (subfolders included) refuses the folder. Every truth case \
        is a row of the report with its status (scored, missing, refused, error) and reason: a \
        case without a usable prediction (none, failed in `lits predict`, another grid, an \
        unreadable file) is scored as an empty prediction (--missing zero) or left out of the \
        means and listed above them (--missing skip); the means say over how many of the cases. \
        Metrics a case does not define are empty in the CSV files, null in evaluation.json and \
        n/a on the page, never 0. Exit status 0 when every case was scored from its own \
        prediction; 1 when any was not (the complete report is written first, each reason on \
        stderr) or on an error (no case with a usable prediction: no report). The report folder gets \
        index.md, data/cases.csv, data/regions.csv, data/lesions.csv (per truth lesion, with the \
        volume and longest in-plane diameter errors of detected ones), data/lesion-regions.csv \
        (detection, merges and splits, panoptica's RQ/SQ/PQ and BraTS 2023 lesion-wise Dice and \
        HD95 per third of the liver), charts and worst-slice montages. `--compare REF OTHER...` instead compares two or more \
        reports (for example uniform against liver-biased sampling), each with the first, case by \
        case: per headline metric the mean paired difference with a 95% bootstrap interval and the \
        Wilcoxon signed-rank p, a chart of the differences, data/compare.csv, mean Dice per region \
        and the keys of the training runs' config.json that differ. \
        `--protocol lits` instead scores as the LiTS challenge's scoring program does, number for \
        number (6-connected lesions, its merge-aware detection at IoU > 0.5 and > 0, its surface \
        distances, tumour burden): index.md, data/scores.txt in the official format, \
        data/lits-scores.json at full precision, data/lits-cases.csv, data/lits-groups.csv; there too \
        every truth case is a row with its status and reason, --missing zero scores a case without a \
        usable prediction as an empty prediction by the program's rules (its `note` names the special \
        values that gives, such as liver-dice-0), --missing skip leaves it out of the scores, and the \
        exit status is as above. \
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

    @Option(parsing: .upToNextOption, help: "Two or more evaluation reports to compare, the first the reference (instead of --pred/--truth).")
    var compare: [String] = []

    @Option(name: .customLong("protocol"), help: "Scoring rules: default (this toolkit's metrics and report) or lits (the LiTS challenge's scoring program).")
    var scoring: EvaluationProtocol = .standard

    @Option(help: "Dice a truth lesion must reach with the overlapping predicted components to count as detected.")
    var detectionDice = 0.5

    @Flag(help: "Count a lesion as detected on any overlap.")
    var anyOverlap = false

    @Option(help: "Normalized surface Dice tolerance in mm: T for liver and lesion, or LIVER,LESION.")
    var nsdTolerance = NSDTolerances(argument: "2")!

    @Option(help: "A truth case whose prediction is missing, failed in `lits predict` or refused (another grid, an unreadable file): zero (scored as an empty prediction, as a challenge scores it) or skip (left out of the means, listed above them). Either way it is a row of the report.")
    var missing = MissingPolicy.zero

    @Flag(help: "Split the liver into thirds by volume instead of by slices.")
    var regionsByVolume = false

    @Option(help: "Report title.")
    var title = "Evaluation"

    @OptionGroup var labels: EvaluationLabelsArgument

    @OptionGroup var sharding: ShardArguments

    @Option(help: figuresHelp)
    var figures = FigureFormat.png

    func validate() throws {
        if compare.isEmpty {
            guard pred != nil, truth != nil else { throw ValidationError("give --pred and --truth, or --compare REF OTHER...") }
        } else {
            guard compare.count >= 2 else { throw ValidationError("--compare takes two or more report folders (the first is the reference)") }
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
                print(try Evaluation.compare(compare, out: out, figures: figures))
                return
            }
            if scoring == .lits {
                let (total, scores, failures) = try Evaluation.runLiTS(pred: pred!, truth: truth!, out: out, title: title, missing: missing)
                if let scores {
                    print(scores.scoresText, terminator: "")
                    print("scores over \(scores.cases) of \(total) cases")
                    print("report: \(out)/index.md")
                }
                try reportUnscored(failures, total: total, reported: scores != nil, missing: missing)
                return
            }
            var options = EvaluationOptions()
            options.detectionDice = detectionDice
            options.anyOverlap = anyOverlap
            options.regionsByVolume = regionsByVolume
            options.nsdToleranceLiver = nsdTolerance.liver
            options.nsdToleranceLesion = nsdTolerance.lesion
            options.missing = missing
            options.figures = figures
            let shard = try sharding.resolved(announce: cluster.rank == 0)
            let (total, summary, failures) = try Evaluation.run(pred: pred!, truth: truth!, out: out, title: title, options: options,
                                                                group: cluster.group, shard: shard)
            guard cluster.rank == 0 else { return }
            if let summary { printCaseLines(summary) }
            if let shard {
                print("shard \(shard.text): evaluated \(summary?.cases.count ?? 0) of \(total) cases into \(out); combine with `lits evaluate merge`")
            } else if summary != nil {
                print("means over \(summary!.cases.count) of \(summary!.rows.count) cases")
                print("report: \(out)/index.md")
            }
            try reportUnscored(failures, total: total, reported: summary != nil, missing: missing)
        }
    }
}

/// Cases not scored from their own prediction: each reason on stderr, then exit 1 (after the
/// report, which lists them as rows, is written; with no usable prediction at all no report is).
func reportUnscored(_ failures: [(Case, String)], total: Int, reported: Bool, missing: MissingPolicy) throws {
    guard !failures.isEmpty else { return }
    for (_, message) in failures { printError(message) }
    let ids = failures.map { $0.0.id }.joined(separator: ", ")
    if reported {
        let how = missing == .zero ? "scored as empty predictions where the truth could be read" : "left out of the means"
        printError("\(failures.count) of \(total) cases were not scored from their own prediction (\(how); rows of the report): \(ids)")
    } else {
        printError("no case has a usable prediction (\(failures.count) of \(total)); nothing evaluated: \(ids)")
    }
    throw ExitCode.failure
}

/// One line per case: its metrics, or its status.
func printCaseLines(_ summary: EvaluationSummary) {
    for row in summary.rows {
        guard let e = row.evaluation else { print("case \(row.id): \(row.status.rawValue), not scored"); continue }
        let note = row.status == .scored ? "" : " (\(row.status.rawValue): scored as an empty prediction)"
        print(String(format: "case %@: liver Dice %.4f, lesion Dice %@, lesions found %d/%d", e.id, e.liver.dice,
                     e.lesion.dice.isNaN ? "-" : String(format: "%.4f", e.lesion.dice), e.lesions.filter(\.detected).count, e.lesions.count) + note)
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

    @Option(help: "Format of the charts: png, svg or pdf (default: the format the shards were run with; montages keep the shards' format).")
    var figures: FigureFormat?

    func run() throws {
        try runReportingErrors {
            let result = try Evaluation.merge(merging.parts, into: merging.out, title: title, partial: merging.partial, figures: figures)
            for warning in result.warnings { printWarning(warning) }
            printCaseLines(result.summary)
            print("report: \(merging.out)/index.md (\(result.summary.cases.count) case(s) from \(merging.parts.count) part(s))")
            printFailedInShards(result.failed)
        }
    }
}
