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

    struct TrainStep: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "train-step",
            abstract: "Forward + backward + Adam step of the U-Net on random patches; then inference forward alone.")

        @OptionGroup var args: BenchTrainStepArguments

        func run() throws {
            try runReportingErrors {
                try EngineBench.trainStep(batch: args.batch, patch: args.patch, filters: args.filters.values, args.common.settings) { print($0) }
            }
        }
    }

    struct Conv: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "One 32-to-32 channel 3x3x3 convolution on (1, 32, 16, 96, 96), forward and backward, and sgemm's peak; the direct kernels in fp32, bf16 (AVX512_BF16) and int8 forward (AVX512_VNNI or AVX-VNNI) where the CPU has them.")

        @OptionGroup var common: BenchSettingsArguments

        func run() throws {
            EngineBench.convolution(common.settings) { print($0) }
        }
    }

    struct PredictVolume: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "predict",
            abstract: "Sliding-window prediction of one preprocessed volume (a volN.npy) with a run's best checkpoint.")

        @OptionGroup var args: BenchPredictVolumeArguments

        func run() throws {
            try runReportingErrors {
                try args.precision?.checkSupported()
                try EngineBench.predictVolume(run: args.runFolder, npy: args.npy, precision: args.precision, args.common.settings) { print($0) }
            }
        }
    }

    struct Augment: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Augmentation's share of a training batch: cutting, augmenting (nnU-Net defaults) and one training step of the demo model, on a preprocessed case.")

        @OptionGroup var args: BenchAugmentArguments

        func run() throws {
            try runReportingErrors {
                try EngineBench.augmentation(data: args.data, patches: args.patches, patch: args.patch, args.common.settings) { print($0) }
            }
        }
    }
}
