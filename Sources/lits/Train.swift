import ArgumentParser
import LiTSCommandLine
import Foundation
import LiTSRender
import LiTSCluster
import LiTSCore
import LiTSImaging
import LiTSInference
import LiTSNet
import LiTSTraining

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a 3D U-Net (liver and lesion outputs) from a recipe: default (the best measured) or baseline (the Keras baseline).",
        discussion: TrainArguments.discussion)

    @OptionGroup var args: TrainArguments

    @OptionGroup(title: "Cross-validation") var crossValidation: FoldArguments

    func run() throws {
        if try crossValidation.runIfGiven(.init(data: args.data, out: args.out, resume: args.resume, threads: args.threads, choices: args.choices,
                                                allowQAErrors: args.allowQAErrors)) { return }  // --folds, or --resume of a cross-validation
        let cluster = Cluster.world
        try runReportingErrors(cluster: cluster) {
            if args.resume == nil { try (args.precision ?? .fp32).checkSupported() }
            let context = NetContext(workers: args.threads ?? 2)
            let checks = StartChecks(allowQAErrors: args.allowQAErrors, warn: { printWarning($0) }, note: { printNote($0) })
            let run = try args.resume.map { try TrainingRun.resume($0, choices: args.choices, context: context, group: cluster) }
                ?? TrainingRun.start(data: args.data!, out: args.out!, choices: args.choices, checks: checks, context: context, group: cluster)
            // Rank 0 speaks for the run; the other ranks only train.
            guard run.isWriter else {
                let stop = catchStopSignals()
                if try !run.train(stop: stop, progress: { _ in }, epochFinished: { _, _ in }) { throw ExitCode(stop.exitStatus) }
                return
            }
            if args.resume != nil, let given = args.threads, let kept = run.trainer.options.threads, given != kept {
                printNote("--threads \(given) not used: the run continues with its \(kept) thread\(kept == 1 ? "" : "s"), so that it resumes bit for bit")
            }
            if args.resume != nil, let given = args.figures, given != run.trainer.options.figures ?? .png {
                printNote("--figures \(given.rawValue) not used: the run keeps its \((run.trainer.options.figures ?? .png).rawValue) figures (config.json)")
            }
            if args.resume == nil {
                let split = run.trainer.options.split
                func ids(_ list: [String]) -> String { list.isEmpty ? "-" : list.joined(separator: ", ") }
                printNote("recipe \(run.trainer.options.recipe?.name.rawValue ?? "-"); split: train \(ids(split.train)); validation \(ids(split.validation)); test \(ids(split.test))")
            }
            if !run.trainer.options.split.isHeldOut {
                printWarning("fewer than three cases: the same case(s) train and validate; the Dice shows learning, not generalisation")
            }
            let stop = catchStopSignals()
            let printer = TrainingProgressPrinter()
            let finished = try run.train(stop: stop, progress: printer.progress,
                                         epochFinished: { record, isBest in printer.epochFinished(record, isBest: isBest) })
            let path = run.folder.path
            if !finished {
                printWarning("interrupted: saved \(path)/interrupted.safetensors; `lits train --resume \(path)` continues from the last finished epoch")
                throw ExitCode(stop.exitStatus)
            }
            if cluster.size > 1 {
                print(String(format: "%d ranks: %.1f ms a step in MPI_Allreduce of the gradients", cluster.size,
                             1000 * run.trainer.allreduceSeconds / Double(max(1, run.trainer.steps))))
            }
            print("run: \(path)/index.md")
        }
    }

    func catchStopSignals() -> StopRequest {
        let stop = StopRequest()
        stop.catchSignals()
        return stop
    }
}
