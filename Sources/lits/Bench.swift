import ArgumentParser
import LiTSCommandLine
import LiTSBench
import LiTSNet
import LiTSInference

/// `lits bench`: the engine's speed (the measurements live in LiTSBench); each line pairs with
/// benchmarks/peers/torch_unet.py's in benchmarks/compare.sh.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time the training engine: a training step, inference, one convolution, OpenBLAS's sgemm peak.",
        subcommands: [TrainStep.self, Conv.self, PredictVolume.self, Augment.self])

    struct Common: ParsableArguments {
        @Option(name: .customLong("repeat"), help: "Timed repeats (after one warm-up).")
        var repeats = 5

        @Option(help: "Worker threads (each calls single-threaded OpenBLAS).")
        var threads = 2

        func validate() throws {
            guard repeats >= 1 else { throw ValidationError("--repeat must be at least 1") }
            guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        }

        var settings: EngineBench.Settings { EngineBench.Settings(repeats: repeats, threads: threads) }
    }

    struct TrainStep: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "train-step",
            abstract: "Forward + backward + Adam step of the U-Net on random patches; then inference forward alone.")

        @OptionGroup var common: Common

        @Option(help: "Batch size.")
        var batch = 2

        @Option(help: "Patch W,H,D.")
        var patch = PatchSize(d: 16, h: 96, w: 96)

        @Option(help: "Filters per level.")
        var filters = FilterList(argument: "16,32,64,128")!

        func run() throws {
            try runReportingErrors {
                try EngineBench.trainStep(batch: batch, patch: patch, filters: filters.values, common.settings) { print($0) }
            }
        }
    }

    struct Conv: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "One 32-to-32 channel 3x3x3 convolution on (1, 32, 16, 96, 96), forward and backward, and sgemm's peak; the direct kernels in fp32 and bf16 where the CPU has AVX512_BF16.")

        @OptionGroup var common: Common

        func run() throws {
            EngineBench.convolution(common.settings) { print($0) }
        }
    }

    struct PredictVolume: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "predict",
            abstract: "Sliding-window prediction of one preprocessed volume (a volN.npy) with a run's best checkpoint.")

        @OptionGroup var common: Common

        @Option(name: .customLong("run"), help: "Run folder of `lits train`.")
        var runFolder: String

        @Option(help: "A preprocessed volume, volN.npy from `lits preprocess`.")
        var npy: String

        func run() throws {
            try runReportingErrors {
                try EngineBench.predictVolume(run: runFolder, npy: npy, common.settings) { print($0) }
            }
        }
    }

    struct Augment: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Augmentation's share of a training batch: cutting, augmenting (nnU-Net defaults) and one training step of the demo model, on a preprocessed case.")

        @OptionGroup var common: Common

        @Argument(help: "A `lits preprocess` folder; its first labelled case is used.")
        var data: String

        @Option(help: "Patches augmented per timed repeat (the transforms fire at random).")
        var patches = 100

        @Option(help: "Patch W,H,D (the demo's 96,96,16).")
        var patch = PatchSize(d: 16, h: 96, w: 96)

        func run() throws {
            try runReportingErrors {
                try EngineBench.augmentation(data: data, patches: patches, patch: patch, common.settings) { print($0) }
            }
        }
    }
}
