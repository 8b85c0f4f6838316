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
        discussion: """
        DATA is a `lits preprocess` folder, or a raw dataset (preprocessed into RUN/preprocessed with \
        --window and --size/--slice-spacing or --spacing, linear interpolation, and reused on --resume; these \
        options apply to raw DATA only). --recipe sets every option (default: the recipe `default`); \
        an option given overrides it, and config.json and index.md record both. Before the first batch: \
        a --split naming cases DATA lacks is refused, and on raw DATA the cases to train and validate on \
        must pass `lits qa` without errors (--allow-qa-errors: warnings). --resume RUN takes no option \
        that would change the run, except --epochs N, which extends it bit for bit (not under the poly \
        schedule). The run folder gets \
        config.json, history.csv, best.safetensors and last.safetensors (with their model config \
        JSON), charts and index.md. Ctrl-C (or SIGTERM) stops after the current batch and saves \
        RUN/interrupted.safetensors (for inspection; removed once a resumed run finishes an epoch); \
        --resume continues from the last finished epoch, with the same \
        patches an uninterrupted run would have drawn.

        Under `mpirun -n N` or `srun --mpi=pmix` the run is data parallel: each rank trains on its \
        N-th of every batch (N must divide --volumes-per-batch x --patches-per-volume), the \
        gradients are added with MPI_Allreduce, rank 0 writes the run folder (which every rank must \
        see), a signal to any rank stops all of them after the same batch, and --resume works with \
        any such N. With --norm instance or sync-batch the weights equal one process's.
        """)

    @Argument(help: "Preprocessed folder or raw dataset.")
    var data: String?

    @Option(name: .shortAndLong, help: "Run folder (created).")
    var out: String?

    @Option(help: "Continue the run in this folder (its config.json holds every option).")
    var resume: String?

    @Option(help: ArgumentHelp("Settings to start from: baseline (the Keras baseline: 168x168 at 2 mm, patch 168,168,16, 3x4 patches, filters 64,128,256,256, uniform slabs, no augmentation, plateau schedule) or default (the best measured: the dataset fingerprint's spacing, body crop, patch 96,96,16, 1x2 patches, filters 16,32,64,128, region-balanced sampling, nnU-Net augmentation with contrast-phase brightness, lr 0.003, poly schedule, 48x25 batches). Every option given overrides it.", valueName: "recipe"))
    var recipe: Recipe?

    @Option(help: "Patch W,H,D (baseline 168,168,16; default 96,96,16).")
    var patch: PatchSize?

    @Option(help: "Filters per level (baseline 64,128,256,256; default 16,32,64,128).")
    var filters: FilterList?

    @Option(help: "Volumes loaded per batch (baseline 3; default 1).")
    var volumesPerBatch: Int?

    @Option(help: "Patches taken from each volume of a batch (baseline 4; default 2).")
    var patchesPerVolume: Int?

    @Option(help: "Epochs (baseline 20; default 48). With --resume: train the run to this many epochs (not under the poly schedule).")
    var epochs: Int?

    @Option(help: "Batches per epoch (baseline 50; default 25).")
    var batchesPerEpoch: Int?

    @Option(help: "Patch placement (uniform: the baseline's random slab along z; liver-biased; region-balanced, the default recipe's: the --p-liver share split equally between the liver's top, middle and bottom thirds).")
    var sampling: SamplingChoice?

    @Option(help: "Liver-biased and region-balanced sampling: probability of centring a patch on a random liver voxel (default 0.4).")
    var pLiver: Double?

    @Option(help: "Liver-biased and region-balanced sampling: probability of centring a patch on a random lesion voxel (default 0.3).")
    var pLesion: Double?

    @Option(help: "On-the-fly augmentation of each patch: none (the patches as cut) or default (nnU-Net's transforms, probabilities and ranges; see --aug). The default recipe: nnU-Net's with brightness=0.5:0.6,1.4.")
    var augment: AugmentPreset?

    @Option(help: ArgumentHelp("One transform over the --augment preset, NAME=P or NAME=P:LO,HI (repeatable; P 0 turns it off). Names: rotation (degrees), scaling (zoom), elastic (voxels), mirror (per axis, no range), noise (variance), blur (sigma, voxels), brightness (multiplier), contrast (factor), gamma, gamma-inverted (exponent), low-resolution (zoom in (0,1]).", valueName: "name=p[:lo,hi]"))
    var aug: [AugmentSetting] = []

    @Option(help: "Loss: the baseline's Jaccard distance (both recipes), or soft Dice.")
    var loss: LossFunction?

    @Option(help: "Adam learning rate (baseline 0.001; default 0.003).")
    var lr: Float?

    @Option(help: "Learning-rate schedule: plateau (ReduceLROnPlateau on the validation score, the baseline's) or poly (nnU-Net's decay to near 0 by the last epoch, the default recipe's; use --checkpoint last when training and validation are the same case).")
    var lrSchedule: LRSchedule?

    @Option(help: "ReduceLROnPlateau factor on the validation Dice (default 0.5).")
    var lrFactor: Double?

    @Option(help: "ReduceLROnPlateau patience in epochs (default 3).")
    var lrPatience: Int?

    @Option(help: "Spatial dropout probability (default 0: none; resume is bit-exact only without dropout).")
    var dropout: Float?

    @Flag(help: "Add residual 1x1x1 paths to every block.")
    var residual = false

    @Option(help: "Normalisation after each convolution: batch (default), sync-batch (statistics added over MPI ranks) or instance (nnU-Net's).")
    var norm: Normalization?

    @Option(help: "Sliding-window overlap for validation (default 0.5).")
    var overlap: Double?

    @Option(help: "JSON file {\"train\": [...], \"validation\": [...], \"test\": [...]} of case ids, checked against DATA before anything runs (default: a seeded shuffle, 60/20/20 from 5 cases; 3-4 cases: one validation case and no test set; 1-2: every case trains and validates).")
    var split: String?

    @Option(help: "Cascade stage: joint (one liver-and-lesion model, the baseline; default), liver (a liver-only model), or lesion (a model on the --liver-run's liver bounding box, with the liver mask as a second input).")
    var stage: CascadeStage?

    @Option(help: "For --stage lesion: the --stage liver run (its best checkpoint is pinned by checksum; `lits predict --run` on the lesion run runs both).")
    var liverRun: String?

    @Option(help: "For --stage lesion: margin in mm around the liver's bounding box (default 10).")
    var liverMargin: Double?

    @Option(help: "Seed for the split, initial weights and every random choice (default 0).")
    var seed: UInt64?

    @Flag(help: "Train even when `lits qa` finds errors in the raw training cases (each becomes a warning); without it they stop the run before anything is preprocessed.")
    var allowQAErrors = false

    @OptionGroup(title: "Preprocessing of raw DATA")
    var preprocessing: PreprocessingArguments

    @OptionGroup var labels: LabelsArgument

    @OptionGroup(title: "Cross-validation") var crossValidation: FoldArguments

    @Option(help: "What 3x3x3 convolutions multiply in: fp32 (default), or bf16 (fp32 accumulation, weights and optimizer; needs AVX512_BF16).")
    var precision: ConvolutionPrecision?

    @Option(help: "Worker threads (each calls single-threaded OpenBLAS; default 2). --resume keeps the run's count, which sets the order of the gradient sums.")
    var threads: Int?

    @Option(help: "Format of the run page's figures: png, svg or pdf (default png; --resume keeps the run's).")
    var figures: FigureFormat?

    func validate() throws {
        guard (data != nil && out != nil) || resume != nil else { throw ValidationError("give DATA and --out, or --resume RUN") }
        guard resume == nil || (data == nil && out == nil) else { throw ValidationError("--resume RUN continues the run on its own data and folder: give it without DATA and --out") }
        let (pl, pt) = (pLiver ?? 0.4, pLesion ?? 0.3)
        guard (0...1).contains(pl), (0...1).contains(pt), pl + pt <= 1 else { throw ValidationError("--p-liver and --p-lesion must be probabilities summing to at most 1") }
        guard [epochs, batchesPerEpoch, volumesPerBatch, patchesPerVolume].allSatisfy({ ($0 ?? 1) >= 1 }) else { throw ValidationError("epochs, batches and patch counts must be at least 1") }
        guard (0..<1).contains(overlap ?? 0.5) else { throw ValidationError("--overlap must be in [0, 1)") }
        guard (threads ?? 1) >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard (0..<1).contains(dropout ?? 0) else { throw ValidationError("--dropout must be in [0, 1)") }
        if let lr { guard lr.isFinite, lr > 0 else { throw ValidationError("--lr must be a positive number") } }
        if let lrFactor { guard lrFactor > 0, lrFactor < 1 else { throw ValidationError("--lr-factor must be in (0, 1)") } }
        guard (lrPatience ?? 0) >= 0 else { throw ValidationError("--lr-patience must not be negative") }
        if let liverMargin { guard liverMargin >= 0, liverMargin.isFinite else { throw ValidationError("--liver-margin must be 0 mm or more") } }
        var check = AugmentationOptions.nnUNetDefault(patch: patch ?? .baseline)
        for setting in aug { setting.apply(to: &check) }
        if let problem = check.problem { throw ValidationError("--aug: \(problem)") }
    }

    /// The options as given (nil: not given); the library resolves them with the recipe.
    var choices: TrainChoices {
        var c = TrainChoices()
        c.recipe = recipe
        c.patch = patch
        c.filters = filters?.values
        c.volumesPerBatch = volumesPerBatch
        c.patchesPerVolume = patchesPerVolume
        c.epochs = epochs
        c.batchesPerEpoch = batchesPerEpoch
        c.sampling = sampling.flatMap { SamplingKind(rawValue: $0.rawValue) }
        c.pLiver = pLiver
        c.pLesion = pLesion
        c.augment = augment.flatMap { AugmentationPreset(rawValue: $0.rawValue) }
        c.aug = aug.map { AugmentOverride(name: $0.name, probability: $0.probability, range: $0.range) }
        c.loss = loss
        c.learningRate = lr
        c.lrSchedule = lrSchedule
        c.lrFactor = lrFactor
        c.lrPatience = lrPatience
        c.dropout = dropout
        c.residual = residual ? true : nil
        c.norm = norm
        c.overlap = overlap
        c.seed = seed
        c.stage = stage
        c.liverMargin = liverMargin
        c.liverRun = liverRun
        c.split = split
        c.precision = precision
        c.figures = figures
        let given = preprocessing.options
        if given.window != PreprocessOptions().window { c.window = given.window }
        c.inPlaneSize = preprocessing.size?.values
        c.sliceSpacing = preprocessing.sliceSpacing
        c.targetSpacing = preprocessing.spacing?.values
        c.cropToBody = preprocessing.cropBody
        return c
    }

    func run() throws {
        if try crossValidation.runIfGiven(.init(data: data, out: out, resume: resume, threads: threads, choices: choices,
                                                allowQAErrors: allowQAErrors)) { return }  // --folds, or --resume of a cross-validation
        let cluster = Cluster.world
        try runReportingErrors(cluster: cluster) {
            if resume == nil { try (precision ?? .fp32).checkSupported() }
            let context = NetContext(workers: threads ?? 2)
            let checks = StartChecks(allowQAErrors: allowQAErrors, warn: { printWarning($0) }, note: { printNote($0) })
            let run = try resume.map { try TrainingRun.resume($0, choices: choices, context: context, group: cluster) }
                ?? TrainingRun.start(data: data!, out: out!, choices: choices, checks: checks, context: context, group: cluster)
            // Rank 0 speaks for the run; the other ranks only train.
            guard run.isWriter else {
                let stop = catchStopSignals()
                if try !run.train(stop: stop, progress: { _ in }, epochFinished: { _, _ in }) { throw ExitCode(stop.exitStatus) }
                return
            }
            if resume != nil, let given = threads, let kept = run.trainer.options.threads, given != kept {
                printNote("--threads \(given) not used: the run continues with its \(kept) thread\(kept == 1 ? "" : "s"), so that it resumes bit for bit")
            }
            if resume != nil, let given = figures, given != run.trainer.options.figures ?? .png {
                printNote("--figures \(given.rawValue) not used: the run keeps its \((run.trainer.options.figures ?? .png).rawValue) figures (config.json)")
            }
            if resume == nil {
                let split = run.trainer.options.split
                func ids(_ list: [String]) -> String { list.isEmpty ? "-" : list.joined(separator: ", ") }
                printNote("recipe \(run.trainer.options.recipe?.name.rawValue ?? "-"); split: train \(ids(split.train)); validation \(ids(split.validation)); test \(ids(split.test))")
            }
            if !run.trainer.options.split.isHeldOut {
                printWarning("fewer than three cases: the same case(s) train and validate; the Dice shows learning, not generalisation")
            }
            let stop = catchStopSignals()
            let live = isatty(STDERR_FILENO) == 1
            var lastLine = Date.distantPast, lastWasValidation = false
            let finished = try run.train(stop: stop, progress: { line in
                // Not a terminal (a log file): a line every 10 s, and one where validation starts or ends.
                let validation = line.contains(" validating ")
                if live { FileHandle.standardError.write(Data("\r\(line)\u{1B}[K".utf8)) }
                else if Date().timeIntervalSince(lastLine) > 10 || validation != lastWasValidation {
                    FileHandle.standardError.write(Data("\(line)\n".utf8))
                    lastLine = Date()
                }
                lastWasValidation = validation
            }, epochFinished: { record, isBest in
                if live { FileHandle.standardError.write(Data("\n".utf8)) }
                print(String(format: "epoch %d: train loss %.4f, Dice liver %@, lesion %@, lr %.2g%@", record.epoch, record.trainLoss,
                             record.diceLiver.map { String(format: "%.3f", $0) } ?? "-", record.diceLesion.map { String(format: "%.3f", $0) } ?? "-",
                             record.learningRate, isBest ? " (best)" : ""))
            })
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

/// A line about a choice the tool made for the user, not a problem.
func printNote(_ message: String) {
    FileHandle.standardError.write(Data("lits: note: \(message)\n".utf8))
}

extension Recipe: ExpressibleByArgument {}
