import ArgumentParser
import Foundation
import LiTSInference
import LiTSNet

/// `lits predict run`'s options: the runs (an ensemble when several), the data, and how the
/// job predicts; `job` turns them into the library's `PredictionJob`.
public struct PredictRunArguments: ParsableArguments {
    public init() {}

    @Option(name: .customLong("run"), help: "Run folder of `lits train`; repeat it for an ensemble (probabilities averaged on the source grid, then thresholded and cleaned once). A cross-validation folder (`lits train --folds K`) predicts with all its folds and their post-processing.")
    public var runFolders: [String]

    @Argument(help: "Dataset folder(s) or volume files to predict.")
    public var data: [String]

    @Option(name: .shortAndLong, help: "Output folder (created; must not be inside the input).")
    public var out: String

    @Option(help: "Checkpoint: best validation score, or the last finished epoch (default: last for a run trained with the poly schedule, as the default recipe's, and for a cross-validation folder's folds, as their out-of-fold predictions; best otherwise).")
    public var checkpoint: CheckpointChoice?

    @Option(help: "Sliding-window overlap.")
    public var overlap: Double?

    @Option(help: "Blending of overlapping windows (default: the run's).")
    public var blending: Blending?

    @Option(help: "Probability threshold.")
    public var threshold: Float = 0.5

    @Flag(inversion: .prefixedNo, help: "Keep only the largest 3D liver component (default: on, or what a cross-validation folder's postprocessing.json chose).")
    public var largestLiver: Bool?

    @Flag(inversion: .prefixedNo, help: "Keep lesions only inside the liver (default: on, or what a cross-validation folder's postprocessing.json chose).")
    public var lesionsInLiver: Bool?

    @Flag(help: "Name outputs test-segmentation-N.nii, as the LiTS submission expects.")
    public var litsNames = false

    @Option(help: "Name segmentations segmentation-N.nii.gz (lits), test-segmentation-N.nii (lits-test), liver_N.nii.gz (msd) or CASE.nii.gz (nnunet) (default: the input's own naming).")
    public var names: PredictionNames?

    @Flag(help: "Also write liver and lesion probability maps (float32).")
    public var probabilities = false

    @Option(help: "Test-time augmentation: none, or mirror (every window also flipped along each combination of axes and averaged, as nnU-Net predicts; 8x the time).")
    public var tta = TestTimeAugmentation.none

    @Option(help: "What 3x3x3 convolutions multiply in: fp32, bf16 or int8 (default: the run's; a bf16 run predicts in fp32 on a CPU without AVX512_BF16). int8 (u8 x s8, per-channel weight scales, needs AVX512_VNNI or AVX-VNNI) is the fastest; see docs/prediction.md.")
    public var precision: ConvolutionPrecision?

    @OptionGroup public var sharding: ShardArguments

    @Option(help: "Worker threads.")
    public var threads = 2

    public func validate() throws {
        if let overlap { guard (0..<1).contains(overlap) else { throw ValidationError("--overlap must be in [0, 1)") } }
        guard threshold > 0, threshold < 1 else { throw ValidationError("--threshold must be in (0, 1)") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        if litsNames, let names, names != .litsTest { throw ValidationError("--lits-names is --names lits-test; give one of them") }
    }

    /// The prediction job these options describe (without its shard, which the command resolves).
    public var job: PredictionJob {
        var job = PredictionJob()
        job.context = NetContext(workers: threads)
        job.checkpoint = checkpoint
        job.overlap = overlap
        job.blending = blending
        job.threshold = threshold
        job.largestLiverComponent = largestLiver ?? true
        job.lesionsInsideLiver = lesionsInLiver ?? true
        // Neither clean-up flag given: a cross-validation folder's own choice applies.
        job.postprocessingFromRun = largestLiver == nil && lesionsInLiver == nil
        job.progress = PredictRunArguments.progressPrinter()
        job.litsNames = litsNames
        job.names = names
        job.probabilities = probabilities
        job.precision = precision
        job.testTimeAugmentation = tta
        return job
    }

    /// Progress lines on stderr: on a terminal the line during a case is rewritten in place; to
    /// a file or pipe one every 10 seconds. The line after each case is always printed.
    static func progressPrinter() -> @Sendable (PredictionProgress.Line) -> Void {
        final class Throttle: @unchecked Sendable { var last = Date.distantPast }
        let live = isatty(STDERR_FILENO) == 1, throttle = Throttle()
        return { line in
            switch line {
            case .during(let text):
                if live { FileHandle.standardError.write(Data("\r\(text)\u{1B}[K".utf8)) }
                else if Date().timeIntervalSince(throttle.last) > 10 {
                    FileHandle.standardError.write(Data("\(text)\n".utf8))
                    throttle.last = Date()
                }
            case .finished(let text):
                FileHandle.standardError.write(Data(((live ? "\r" : "") + "\(text)\(live ? "\u{1B}[K" : "")\n").utf8))
            }
        }
    }
}

extension PredictionNames: ExpressibleByArgument {}

/// The long help of `lits predict run` and `lits predict merge`.
public enum PredictHelp {
    public static let run = """
        Each case is preprocessed as the run's training data was (fixed size or target spacing), predicted with overlapping windows \
        of the run's patch size (Gaussian or constant blending; a volume with fewer slices than a \
        window repeats its end slices, and in plane air surrounds it), thresholded, optionally cleaned \
        (largest liver component, lesions only inside the liver), mapped back to the source file's \
        grid and affine, and written in the input's own naming (uint8: 0 background, 1 liver, \
        2 tumor): DIR/segmentation-N.nii.gz for LiTS input, DIR/liver_N.nii.gz for MSD input, \
        DIR/CASE.nii.gz for nnU-Net raw input (nnU-Net's prediction naming: CASE is the image \
        name without _0000); --names chooses one for all cases, and --lits-names (the same as \
        --names lits-test) writes DIR/test-segmentation-N.nii as the LiTS submission expects. \
        predictions.json records each file's case, and `lits evaluate` finds predictions in any \
        of these namings. A cascade's lesion run \
        (`lits train --stage lesion`) runs its pinned liver run first and predicts lesions on the \
        liver's bounding box; a liver run alone predicts liver only. With --shard i/n (or in a \
        Slurm array task) only every n-th case (starting at the i-th) is predicted, into a shard \
        folder; `lits predict merge` combines the shards into the folder one run gives. A rerun into the same \
        folder replaces it as a whole: the previous run's predictions.json, segmentations and \
        probability maps are removed before the first new case is written. predictions.json lists \
        the files written and the failed cases; a failed case leaves no file. --run given more \
        than once predicts with an ensemble: each run preprocesses the case its own way, its \
        probabilities are mapped back onto the source grid, the runs' probabilities are averaged \
        and then thresholded and cleaned once; runs that predict different labels (a liver run \
        and a joint run) are refused before any case. A cross-validation folder (`lits train \
        --folds K`) as --run predicts with every fold, cleaned as its postprocessing.json chose \
        unless --largest-liver/--lesions-in-liver (or their --no- forms) are given. \
        predictions.json names every run and checkpoint by absolute path with the checkpoint's \
        SHA-256, and the precision each run's convolutions used. A run preprocessed with --crop-body predicts on the body's bounding box; outside \
        it the segmentation is background. During each case a progress line on stderr gives the \
        windows done and the ETA of the case and of all cases (every 10 s when stderr is not a \
        terminal), and one line sums up each case.
        """

    public static let merge = """
        The segmentations (and probability maps) are copied and one predictions.json lists them in \
        the order one run gives, ready for `lits evaluate --pred DIR`. Parts must come from one \
        split, the same run and checkpoint, and the same options.
        """
}
