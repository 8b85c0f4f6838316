import ArgumentParser
import Foundation
import LiTSAnalysis
import LiTSBench
import LiTSCore
import LiTSEvaluation
import LiTSImaging
import LiTSInference
import LiTSNet
import LiTSRender
import LiTSTraining

/// The options of `lits bench train-step`.
public struct BenchTrainStepArguments: ParsableArguments {
    public init() {}

    @OptionGroup public var common: BenchSettingsArguments

    @Option(help: "Batch size.")
    public var batch = 2

    @Option(help: "Patch W,H,D.")
    public var patch = PatchSize(d: 16, h: 96, w: 96)

    @Option(help: "Filters per level.")
    public var filters = FilterList(argument: "16,32,64,128")!
}

/// The options of `lits bench predict`.
public struct BenchPredictVolumeArguments: ParsableArguments {
    public init() {}

    @OptionGroup public var common: BenchSettingsArguments

    @Option(name: .customLong("run"), help: "Run folder of `lits train`.")
    public var runFolder: String

    @Option(help: "A preprocessed volume, volN.npy from `lits preprocess`.")
    public var npy: String

    @Option(help: "What 3x3x3 convolutions multiply in: fp32 (default), bf16 or int8; the line is then predict_volume_bf16 or _int8.")
    public var precision: ConvolutionPrecision?
}

/// The options of `lits bench augment`.
public struct BenchAugmentArguments: ParsableArguments {
    public init() {}

    @OptionGroup public var common: BenchSettingsArguments

    @Argument(help: "A `lits preprocess` folder; its first labelled case is used.")
    public var data: String

    @Option(help: "Patches augmented per timed repeat (the transforms fire at random).")
    public var patches = 100

    @Option(help: "Patch W,H,D (the demo's 96,96,16).")
    public var patch = PatchSize(d: 16, h: 96, w: 96)
}
