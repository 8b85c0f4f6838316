import ArgumentParser
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
        abstract: "Train the baseline 3D U-Net (liver and lesion outputs) with liver-biased patch sampling.",
        discussion: """
        DATA is a `lits preprocess` folder, or a raw dataset (preprocessed into RUN/preprocessed with \
        --window and --size/--slice-spacing or --spacing, linear interpolation, and reused on --resume; these \
        options apply to raw DATA only). The run folder gets \
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

    @Option(help: "Patch W,H,D (baseline 168,168,16).")
    var patch = PatchSize.baseline

    @Option(help: "Filters per level (baseline 64,128,256,256; CPU-sized 16,32,64,128).")
    var filters = FilterList(argument: "16,32,64,128")!

    @Option(help: "Volumes loaded per batch.")
    var volumesPerBatch = 3

    @Option(help: "Patches taken from each volume of a batch.")
    var patchesPerVolume = 4

    @Option(help: "Epochs.")
    var epochs = 20

    @Option(help: "Batches per epoch.")
    var batchesPerEpoch = 50

    @Option(help: "Patch placement (uniform: the baseline's random slab along z; region-balanced: the --p-liver share split equally between the liver's top, middle and bottom thirds).")
    var sampling = SamplingChoice.liverBiased

    @Option(help: "Liver-biased and region-balanced sampling: probability of centring a patch on a random liver voxel.")
    var pLiver = 0.4

    @Option(help: "Liver-biased and region-balanced sampling: probability of centring a patch on a random lesion voxel.")
    var pLesion = 0.3

    @Option(help: "On-the-fly augmentation of each patch: none (the patches as cut) or default (nnU-Net's transforms, probabilities and ranges; see --aug).")
    var augment = AugmentPreset.none

    @Option(help: ArgumentHelp("One transform over the --augment preset, NAME=P or NAME=P:LO,HI (repeatable; P 0 turns it off). Names: rotation (degrees), scaling (zoom), elastic (voxels), mirror (per axis, no range), noise (variance), blur (sigma, voxels), brightness (multiplier), contrast (factor), gamma, gamma-inverted (exponent), low-resolution (zoom in (0,1]).", valueName: "name=p[:lo,hi]"))
    var aug: [AugmentSetting] = []

    @Option(help: "Loss: the baseline's Jaccard distance, or soft Dice.")
    var loss = LossFunction.jaccard

    @Option(help: "Adam learning rate.")
    var lr: Float = 1e-3

    @Option(help: "Learning-rate schedule: plateau (ReduceLROnPlateau on the validation score, the baseline's) or poly (nnU-Net's decay to near 0 by the last epoch; use --checkpoint last when training and validation are the same case).")
    var lrSchedule = LRSchedule.plateau

    @Option(help: "ReduceLROnPlateau factor on the validation Dice.")
    var lrFactor = 0.5

    @Option(help: "ReduceLROnPlateau patience (epochs).")
    var lrPatience = 3

    @Option(help: "Spatial dropout probability (0: none; resume is bit-exact only without dropout).")
    var dropout: Float = 0

    @Flag(help: "Add residual 1x1x1 paths to every block.")
    var residual = false

    @Option(help: "Normalisation after each convolution: batch, sync-batch (statistics added over MPI ranks) or instance (nnU-Net's).")
    var norm = Normalization.batch

    @Option(help: "Sliding-window overlap for validation.")
    var overlap = 0.5

    @Option(help: "JSON file {\"train\": [...], \"validation\": [...], \"test\": [...]} of case ids (default: seeded 60/20/20 shuffle).")
    var split: String?

    @Option(help: "Cascade stage: joint (one liver-and-lesion model, the baseline), liver (a liver-only model), or lesion (a model on the --liver-run's liver bounding box, with the liver mask as a second input).")
    var stage = CascadeStage.joint

    @Option(help: "For --stage lesion: the --stage liver run (its best checkpoint is pinned by checksum; `lits predict --run` on the lesion run runs both).")
    var liverRun: String?

    @Option(help: "For --stage lesion: margin in mm around the liver's bounding box.")
    var liverMargin = 10.0

    @Option(help: "Seed for the split, initial weights and every random choice.")
    var seed: UInt64 = 0

    @OptionGroup(title: "Preprocessing of raw DATA")
    var preprocessing: PreprocessingArguments

    @OptionGroup var labels: LabelsArgument

    @Option(help: "What 3x3x3 convolutions multiply in: fp32, or bf16 (fp32 accumulation, weights and optimizer; needs AVX512_BF16).")
    var precision = ConvolutionPrecision.fp32

    @Option(help: "Worker threads (each calls single-threaded OpenBLAS; default 2). --resume keeps the run's count, which sets the order of the gradient sums.")
    var threads: Int?

    @Option(help: "Format of the run page's figures: png, svg or pdf (default png; --resume keeps the run's).")
    var figures: FigureFormat?

    func validate() throws {
        guard (data != nil && out != nil) || resume != nil else { throw ValidationError("give DATA and --out, or --resume RUN") }
        guard (0...1).contains(pLiver), (0...1).contains(pLesion), pLiver + pLesion <= 1 else { throw ValidationError("--p-liver and --p-lesion must be probabilities summing to at most 1") }
        guard epochs >= 1, batchesPerEpoch >= 1, volumesPerBatch >= 1, patchesPerVolume >= 1 else { throw ValidationError("epochs, batches and patch counts must be at least 1") }
        guard (0..<1).contains(overlap) else { throw ValidationError("--overlap must be in [0, 1)") }
        guard (threads ?? 1) >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard (0..<1).contains(dropout) else { throw ValidationError("--dropout must be in [0, 1)") }
        guard lr.isFinite, lr > 0 else { throw ValidationError("--lr must be a positive number") }
        guard lrFactor > 0, lrFactor < 1 else { throw ValidationError("--lr-factor must be in (0, 1)") }
        guard lrPatience >= 0 else { throw ValidationError("--lr-patience must not be negative") }
        guard liverMargin >= 0, liverMargin.isFinite else { throw ValidationError("--liver-margin must be 0 mm or more") }
        if let problem = options.augmentation.problem { throw ValidationError("--aug: \(problem)") }
    }

    var options: TrainOptions {
        var o = TrainOptions()
        o.patch = patch
        o.model.filters = filters.values
        o.model.dropout = dropout
        o.model.residual = residual
        o.model.norm = norm
        o.precision = precision
        o.model.seed = seed
        o.volumesPerBatch = volumesPerBatch
        o.patchesPerVolume = patchesPerVolume
        o.epochs = epochs
        o.batchesPerEpoch = batchesPerEpoch
        o.sampling = sampling.mode(pLiver: pLiver, pLesion: pLesion)
        o.augmentation = augment.options(patch: patch)
        for setting in aug { setting.apply(to: &o.augmentation) }
        o.loss = loss
        o.learningRate = lr
        o.lrSchedule = lrSchedule
        o.lrFactor = lrFactor
        o.lrPatience = lrPatience
        o.overlap = overlap
        o.seed = seed
        o.stage = stage
        o.liverMargin = stage == .lesion ? liverMargin : nil
        o.figures = figures ?? .png
        return o
    }

    func run() throws {
        let cluster = Cluster.world
        try runReportingErrors(cluster: cluster) {
            if resume == nil { try precision.checkSupported() }
            let context = NetContext(workers: threads ?? 2)
            let run = try resume.map { try TrainingRun.resume($0, context: context, group: cluster) }
                ?? TrainingRun.start(data: data!, out: out!, options: options, preprocessing: preprocessing.options,
                                     splitFile: split, liverRun: liverRun, context: context, group: cluster)
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
            if !run.trainer.options.split.isHeldOut {
                printWarning("fewer than three cases: the same case(s) train and validate; the Dice shows learning, not generalisation")
            }
            let stop = catchStopSignals()
            let live = isatty(STDERR_FILENO) == 1
            var lastLine = Date.distantPast
            let finished = try run.train(stop: stop, progress: { line in
                if live { FileHandle.standardError.write(Data("\r\(line)\u{1B}[K".utf8)) }
                else if Date().timeIntervalSince(lastLine) > 10 { FileHandle.standardError.write(Data("\(line)\n".utf8)); lastLine = Date() }
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
