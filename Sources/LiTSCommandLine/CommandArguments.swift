// One option group per command: its arguments, options and the checks across them; the
// command in Sources/lits holds `@OptionGroup var args` and runs.

import ArgumentParser
import Foundation
import LiTSAnalysis
import LiTSCore
import LiTSDICOM
import LiTSEvaluation
import LiTSImaging
import LiTSInference
import LiTSNet
import LiTSRender
import LiTSTraining

/// The options of `lits qa`.
public struct QAArguments: ParsableArguments {
    public init() {}

    @Argument(help: "Dataset folder(s) or volume files.")
    public var data: [String]

    @Option(name: .shortAndLong, help: "Report folder (created; must not be inside the input).")
    public var out: String?

    @OptionGroup public var labels: LabelsArgument

    @Option(help: "Report title (default: 'Dataset QA: ' and the folder name).")
    public var title: String?

    @Option(help: "Cases checked in parallel (memory grows with it: about 3x one case's CT each).")
    public var threads = 2

    @Option(help: "Format of the evidence montages: png, svg or pdf (drawn by Cairo; the page links the files written).")
    public var figures = FigureFormat.png

    public func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }
}

/// The options of `lits eda` (`lits eda run`).
public struct EdaRunArguments: ParsableArguments {
    public init() {}

    @Argument(help: "Dataset folder(s) or volume files.")
    public var data: [String]

    @Option(name: .shortAndLong, help: "Report folder (created; must not be inside the input).")
    public var out: String

    @Option(help: "Report title (default: 'EDA report: ' and the folder name).")
    public var title: String?

    @Option(help: "Lesion connectivity (voxel neighbours).")
    public var connectivity = Connectivity.twentySix

    @OptionGroup public var labels: LabelsArgument

    @OptionGroup public var sharding: ShardArguments

    @Option(help: "Axial slices per case montage, evenly spaced over the liver.")
    public var montageSlices = 8

    @Option(help: "Cases analysed in parallel (memory grows with it: about 4x one case's CT each).")
    public var threads = 2

    @Option(help: figuresHelp)
    public var figures = FigureFormat.png

    public func validate() throws {
        guard montageSlices >= 1 else { throw ValidationError("--montage-slices must be at least 1") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }
}

/// The options of `lits eda merge`.
public struct EdaMergeArguments: ParsableArguments {
    public init() {}

    @OptionGroup public var merging: MergeArguments

    @Option(help: "Report title (default: 'EDA report: ' and the folder name).")
    public var title: String?

    @Option(help: "Format of the charts: png, svg or pdf (default: the format the shards were run with; montages keep the shards' format).")
    public var figures: FigureFormat?
}

/// The options of `lits enhance`.
public struct EnhanceArguments: ParsableArguments {
    public init() {}

    @Argument(help: "A volume file, or a dataset folder (with --case when it holds several cases).")
    public var path: String

    @Option(name: .customLong("case"), help: "Case id inside a dataset folder.")
    public var caseID: String?

    @Option(help: "Enhancement method.")
    public var method: EnhancementMethod

    @Option(parsing: .unconditional, help: "Window preset (liver, abdomen, soft-tissue, bone) or L,H (L < H, each within +-100000).")
    public var window = WindowArgument(argument: "liver")!

    @OptionGroup public var enhancement: EnhancementArguments

    @Option(name: .shortAndLong, help: "Output file, .nii or .nii.gz (an existing file is not replaced without --overwrite).")
    public var out: String

    @Flag(help: "Replace an existing output file (never an input).")
    public var overwrite = false

    public func validate() throws {
        guard out.hasSuffix(".nii") || out.hasSuffix(".nii.gz") else { throw ValidationError("--out must end in .nii or .nii.gz") }
    }
}

/// The options of `lits evaluate` (`lits evaluate run`).
public struct EvaluateRunArguments: ParsableArguments {
    public init() {}

    @Option(help: "Folder of predicted segmentations.")
    public var pred: String?

    @Option(help: "Ground-truth dataset (LiTS or MSD layout).")
    public var truth: String?

    @Option(name: .shortAndLong, help: "Report folder (created; must not be inside an input).")
    public var out: String

    @Option(parsing: .upToNextOption, help: "Two or more evaluation reports to compare, the first the reference (instead of --pred/--truth).")
    public var compare: [String] = []

    @Option(name: .customLong("protocol"), help: "Scoring rules: default (this toolkit's metrics and report) or lits (the LiTS challenge's scoring program).")
    public var scoring: EvaluationProtocol = .standard

    @Option(help: "Dice a truth lesion must reach with the overlapping predicted components to count as detected.")
    public var detectionDice = 0.5

    @Flag(help: "Count a lesion as detected on any overlap.")
    public var anyOverlap = false

    @Option(help: "Normalized surface Dice tolerance in mm: T for liver and lesion, or LIVER,LESION.")
    public var nsdTolerance = NSDTolerances(argument: "2")!

    @Option(help: "A truth case whose prediction is missing, failed in `lits predict` or refused (another grid, an unreadable file): zero (scored as an empty prediction, as a challenge scores it) or skip (left out of the means, listed above them). Either way it is a row of the report.")
    public var missing = MissingPolicy.zero

    @Flag(help: "Split the liver into thirds by volume instead of by slices.")
    public var regionsByVolume = false

    @Option(help: "Report title.")
    public var title = "Evaluation"

    @OptionGroup public var labels: EvaluationLabelsArgument

    @OptionGroup public var sharding: ShardArguments

    @Option(help: figuresHelp)
    public var figures = FigureFormat.png

    public func validate() throws {
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
}

/// The options of `lits evaluate merge`.
public struct EvaluateMergeArguments: ParsableArguments {
    public init() {}

    @OptionGroup public var merging: MergeArguments

    @Option(help: "Report title.")
    public var title = "Evaluation"

    @Option(help: "Format of the charts: png, svg or pdf (default: the format the shards were run with; montages keep the shards' format).")
    public var figures: FigureFormat?
}

/// The options of `lits export nnunet`.
public struct ExportNNUNetArguments: ParsableArguments {
    public init() {}

    @Argument(help: "Dataset folder(s) or volume files.")
    public var data: [String]

    @Option(name: .shortAndLong, help: "Output folder, named DatasetNNN_Name (created; must not be inside the input).")
    public var out: String

    @Option(help: "Case ids to leave out, comma-separated (e.g. 3,17).")
    public var exclude: String?

    @Flag(help: "Leave out cases with a QA error (as `lits qa` reports them).")
    public var excludeQAErrors = false

    @OptionGroup public var labels: LabelsArgument

    @Option(help: "Worker threads of the QA checks.")
    public var threads = 2

    public func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }
}

/// The options of `lits import-dicom`.
public struct ImportDICOMArguments: ParsableArguments {
    public init() {}

    @Argument(help: "Folder of the CT series.")
    public var seriesDir: String

    @Option(name: .customLong("mask"), help: ArgumentHelp("A mask series: liver=DIR or tumor=DIR (repeatable).", valueName: "name=dir"))
    public var masks: [String] = []

    @Option(help: "Case number for the file names volume-N / segmentation-N.")
    public var id: Int

    @Option(name: .shortAndLong, help: "Output folder.")
    public var out: String

    public func validate() throws {
        guard id >= 0 else { throw ValidationError("--id must be a non-negative integer") }
        _ = try parsedMasks()
    }

    /// `liver=DIR` / `tumor=DIR` pairs.
    public func parsedMasks() throws -> [DICOMImport.Mask] {
        try masks.map { text in
            let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[1].isEmpty, let structure = DICOMImport.Structure(rawValue: parts[0]) else {
                throw ValidationError("--mask \(text): expected liver=DIR or tumor=DIR")
            }
            return DICOMImport.Mask(structure: structure, folder: parts[1])
        }
    }
}

/// The options of `lits import-mrc`.
public struct ImportMRCArguments: ParsableArguments {
    public init() {}

    @Option(help: "MRC CT volume (mode 2 float32 HU).")
    public var image: String

    @Option(help: "MRC label volume (values 0, 1, 2).")
    public var labels: String?

    @Option(help: "Case number for the file names volume-N / segmentation-N.")
    public var id: Int

    @Option(help: "Assumed isotropic voxel size in mm (the sample records none; about 1.5 mm for LiTS 117 downsampled 2x).")
    public var spacing = 1.5

    @Option(help: "MRC axis order: zyx means MRC's fastest axis is NIfTI's k, as in the PyPI sample.")
    public var axisOrder = MRC.AxisOrder.zyx

    @Option(help: "Orientation of the written affine (LPS: the sample's anatomy).")
    public var orientation = MRCImport.Orientation.LPS

    @Option(name: .shortAndLong, help: "Output folder.")
    public var out: String

    public func validate() throws {
        guard spacing > 0, spacing.isFinite else { throw ValidationError("--spacing must be positive") }
        guard id >= 0 else { throw ValidationError("--id must be a non-negative integer") }
    }
}

/// The options of `lits info`.
public struct InfoArguments: ParsableArguments {
    public init() {}

    @Argument(help: "Dataset folders or NIfTI files.")
    public var paths: [String]

    @OptionGroup public var labels: LabelsArgument

    @Flag(help: "Print JSON instead of a table.")
    public var json = false

    @Option(help: "Cases read in parallel.")
    public var threads = 2

    public func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }
}

/// The options of `lits preprocess` (`lits preprocess run`).
public struct PreprocessRunArguments: ParsableArguments {
    public init() {}

    @Argument(help: "Dataset folder(s) or volume files.")
    public var data: [String]

    @Option(name: .shortAndLong, help: "Output folder (created; must not be inside the input).")
    public var out: String

    @OptionGroup public var preprocessing: PreprocessingArguments

    @Option(help: "CT interpolation (labels always use nearest neighbour).")
    public var interpolation = CTInterpolation.linear

    @Option(help: "Contrast enhancement before resampling.")
    public var equalize = EqualizeChoice.none

    @OptionGroup public var enhancement: EnhancementArguments

    @OptionGroup public var labels: LabelsArgument

    @OptionGroup public var sharding: ShardArguments

    @Option(help: "Cases processed in parallel.")
    public var threads = 2

    public func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }
}

/// The options of `lits preprocess merge`.
public struct PreprocessMergeArguments: ParsableArguments {
    public init() {}

    @OptionGroup public var merging: MergeArguments
}

/// The options of `lits preview`.
public struct PreviewArguments: ParsableArguments {
    public init() {}

    @Argument(help: "A volume file, or a dataset folder (with --case when it holds several cases).")
    public var path: String

    @Option(name: .shortAndLong, help: "Output folder (created; must not be inside the input).")
    public var out: String

    @Option(name: .customLong("case"), help: "Case id inside a dataset folder.")
    public var caseID: String?

    @Option(help: "Axial slices: auto (evenly over the liver plus the most tumor) or canonical k indices, e.g. 40,52,60.")
    public var slices = SliceSelection(argument: "auto")!

    @Option(help: "Slices for --slices auto, spread over the liver.")
    public var autoSlices = 5

    @Option(name: .customLong("window"), parsing: .unconditionalSingleValue, help: "Window preset or L,H (L < H, each within +-100000); repeat for several (default: liver).")
    public var windows: [WindowArgument] = []

    @Option(name: .customLong("method"), help: "Method to show; repeat for several (default: all five).")
    public var methods: [EnhancementMethod] = []

    @OptionGroup public var labels: LabelsArgument

    @OptionGroup public var enhancement: EnhancementArguments

    @Flag(inversion: .prefixedNo, help: "Draw liver and tumor contours.")
    public var contours = true

    @Option(help: figuresHelp)
    public var figures = FigureFormat.png

    public func validate() throws {
        guard autoSlices >= 1 else { throw ValidationError("--auto-slices must be at least 1") }
    }
}
