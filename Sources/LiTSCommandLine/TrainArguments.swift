import ArgumentParser
import Foundation
import LiTSImaging
import LiTSInference
import LiTSNet
import LiTSRender
import LiTSTraining

/// `lits train`'s options: what each says, its checks, and the options as given (`choices`),
/// which the library resolves with the recipe.
public struct TrainArguments: ParsableArguments {
    public init() {}

    public static let discussion = """
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
        """


    @Argument(help: "Preprocessed folder or raw dataset.")
    public var data: String?

    @Option(name: .shortAndLong, help: "Run folder (created).")
    public var out: String?

    @Option(help: "Continue the run in this folder (its config.json holds every option).")
    public var resume: String?

    @Option(help: ArgumentHelp("Settings to start from: baseline (the Keras baseline: 168x168 at 2 mm, patch 168,168,16, 3x4 patches, filters 64,128,256,256, uniform slabs, no augmentation, plateau schedule) or default (the best measured: the dataset fingerprint's spacing, body crop, patch 96,96,16, 1x2 patches, filters 16,32,64,128, region-balanced sampling, nnU-Net augmentation with contrast-phase brightness, lr 0.003, poly schedule, 48x25 batches). Every option given overrides it.", valueName: "recipe"))
    public var recipe: Recipe?

    @Option(help: "Patch W,H,D (baseline 168,168,16; default 96,96,16).")
    public var patch: PatchSize?

    @Option(help: "Filters per level (baseline 64,128,256,256; default 16,32,64,128).")
    public var filters: FilterList?

    @Option(help: "Volumes loaded per batch (baseline 3; default 1).")
    public var volumesPerBatch: Int?

    @Option(help: "Patches taken from each volume of a batch (baseline 4; default 2).")
    public var patchesPerVolume: Int?

    @Option(help: "Epochs (baseline 20; default 48). With --resume: train the run to this many epochs (not under the poly schedule).")
    public var epochs: Int?

    @Option(help: "Batches per epoch (baseline 50; default 25).")
    public var batchesPerEpoch: Int?

    @Option(help: "Patch placement (uniform: the baseline's random slab along z; liver-biased; region-balanced, the default recipe's: the --p-liver share split equally between the liver's top, middle and bottom thirds).")
    public var sampling: SamplingChoice?

    @Option(help: "Liver-biased and region-balanced sampling: probability of centring a patch on a random liver voxel (default 0.4).")
    public var pLiver: Double?

    @Option(help: "Liver-biased and region-balanced sampling: probability of centring a patch on a random lesion voxel (default 0.3).")
    public var pLesion: Double?

    @Option(help: "On-the-fly augmentation of each patch: none (the patches as cut) or default (nnU-Net's transforms, probabilities and ranges; see --aug). The default recipe: nnU-Net's with brightness=0.5:0.6,1.4.")
    public var augment: AugmentPreset?

    @Option(help: ArgumentHelp("One transform over the --augment preset, NAME=P or NAME=P:LO,HI (repeatable; P 0 turns it off). Names: rotation (degrees), scaling (zoom), elastic (voxels), mirror (per axis, no range), noise (variance), blur (sigma, voxels), brightness (multiplier), contrast (factor), gamma, gamma-inverted (exponent), low-resolution (zoom in (0,1]).", valueName: "name=p[:lo,hi]"))
    public var aug: [AugmentSetting] = []

    @Option(help: "Loss: the baseline's Jaccard distance (both recipes), or soft Dice.")
    public var loss: LossFunction?

    @Option(help: "Adam learning rate (baseline 0.001; default 0.003).")
    public var lr: Float?

    @Option(help: "Learning-rate schedule: plateau (ReduceLROnPlateau on the validation score, the baseline's) or poly (nnU-Net's decay to near 0 by the last epoch, the default recipe's; use --checkpoint last when training and validation are the same case).")
    public var lrSchedule: LRSchedule?

    @Option(help: "ReduceLROnPlateau factor on the validation Dice (default 0.5).")
    public var lrFactor: Double?

    @Option(help: "ReduceLROnPlateau patience in epochs (default 3).")
    public var lrPatience: Int?

    @Option(help: "Spatial dropout probability (default 0: none; resume is bit-exact only without dropout).")
    public var dropout: Float?

    @Flag(help: "Add residual 1x1x1 paths to every block.")
    public var residual = false

    @Option(help: "Normalisation after each convolution: batch (default), sync-batch (statistics added over MPI ranks) or instance (nnU-Net's).")
    public var norm: Normalization?

    @Option(help: "Sliding-window overlap for validation (default 0.5).")
    public var overlap: Double?

    @Option(help: "JSON file {\"train\": [...], \"validation\": [...], \"test\": [...]} of case ids, checked against DATA before anything runs (default: a seeded shuffle, 60/20/20 from 5 cases; 3-4 cases: one validation case and no test set; 1-2: every case trains and validates).")
    public var split: String?

    @Option(help: "Cascade stage: joint (one liver-and-lesion model, the baseline; default), liver (a liver-only model), or lesion (a model on the --liver-run's liver bounding box, with the liver mask as a second input).")
    public var stage: CascadeStage?

    @Option(help: "For --stage lesion: the --stage liver run (its best checkpoint is pinned by checksum; `lits predict --run` on the lesion run runs both).")
    public var liverRun: String?

    @Option(help: "For --stage lesion: margin in mm around the liver's bounding box (default 10).")
    public var liverMargin: Double?

    @Option(help: "Seed for the split, initial weights and every random choice (default 0).")
    public var seed: UInt64?

    @Flag(help: "Train even when `lits qa` finds errors in the raw training cases (each becomes a warning); without it they stop the run before anything is preprocessed.")
    public var allowQAErrors = false

    @OptionGroup(title: "Preprocessing of raw DATA")
    public var preprocessing: PreprocessingArguments

    @OptionGroup var labels: LabelsArgument

    @Option(help: "What 3x3x3 convolutions multiply in: fp32 (default), or bf16 (fp32 accumulation, weights and optimizer; needs AVX512_BF16). int8 is for lits predict only.")
    public var precision: ConvolutionPrecision?

    @Option(help: "Worker threads (each calls single-threaded OpenBLAS; default 2). --resume keeps the run's count, which sets the order of the gradient sums.")
    public var threads: Int?

    @Option(help: "Format of the run page's figures: png, svg or pdf (default png; --resume keeps the run's).")
    public var figures: FigureFormat?

    public func validate() throws {
        guard (data != nil && out != nil) || resume != nil else { throw ValidationError("give DATA and --out, or --resume RUN") }
        guard resume == nil || (data == nil && out == nil) else { throw ValidationError("--resume RUN continues the run on its own data and folder: give it without DATA and --out") }
        let (pl, pt) = (pLiver ?? 0.4, pLesion ?? 0.3)
        guard (0...1).contains(pl), (0...1).contains(pt), pl + pt <= 1 else { throw ValidationError("--p-liver and --p-lesion must be probabilities summing to at most 1") }
        guard [epochs, batchesPerEpoch, volumesPerBatch, patchesPerVolume].allSatisfy({ ($0 ?? 1) >= 1 }) else { throw ValidationError("epochs, batches and patch counts must be at least 1") }
        guard (0..<1).contains(overlap ?? 0.5) else { throw ValidationError("--overlap must be in [0, 1)") }
        guard (threads ?? 1) >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard precision?.trains ?? true else { throw ValidationError("--precision int8 is for prediction only (lits predict --precision int8): train in fp32 or bf16") }
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
    public var choices: TrainChoices {
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
        c.labels = labels.text
        return c
    }
}

/// A line about a choice the tool made for the user, not a problem.
public func printNote(_ message: String) {
    FileHandle.standardError.write(Data("lits: note: \(message)\n".utf8))
}

extension Recipe: ExpressibleByArgument {}
