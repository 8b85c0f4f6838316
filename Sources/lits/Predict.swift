import ArgumentParser
import Foundation
import LiTSCluster
import LiTSCore
import LiTSInference
import LiTSNet

struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Predict whole volumes with a trained run: sliding window, threshold, post-processing, NIfTI on each source grid.",
        discussion: """
        Each case is preprocessed as the run's training data was (fixed size or target spacing), predicted with overlapping windows \
        of the run's patch size (Gaussian or constant blending), thresholded, optionally cleaned \
        (largest liver component, lesions only inside the liver), mapped back to the source file's \
        grid and affine, and written as DIR/segmentation-N.nii.gz (uint8: 0 background, 1 liver, \
        2 tumor), or DIR/test-segmentation-N.nii with --lits-names. A cascade's lesion run \
        (`lits train --stage lesion`) runs its pinned liver run first and predicts lesions on the \
        liver's bounding box; a liver run alone predicts liver only.
        """)

    @Option(name: .customLong("run"), help: "Run folder of `lits train`.")
    var runFolder: String

    @Argument(help: "Dataset folder(s) or volume files to predict.")
    var data: [String]

    @Option(name: .shortAndLong, help: "Output folder (created; must not be inside the input).")
    var out: String

    @Option(help: "Checkpoint: best validation score, or the last finished epoch.")
    var checkpoint = CheckpointChoice.best

    @Option(help: "Sliding-window overlap.")
    var overlap: Double?

    @Option(help: "Blending of overlapping windows (default: the run's).")
    var blending: Blending?

    @Option(help: "Probability threshold.")
    var threshold: Float = 0.5

    @Flag(inversion: .prefixedNo, help: "Keep only the largest 3D liver component.")
    var largestLiver = true

    @Flag(inversion: .prefixedNo, help: "Keep lesions only inside the liver.")
    var lesionsInLiver = true

    @Flag(help: "Name outputs test-segmentation-N.nii, as the LiTS submission expects.")
    var litsNames = false

    @Flag(help: "Also write liver and lesion probability maps (float32).")
    var probabilities = false

    @Option(help: "What 3x3x3 convolutions multiply in (default: the run's; a bf16 run predicts in fp32 on a CPU without AVX512_BF16).")
    var precision: ConvolutionPrecision?

    @Option(help: "Worker threads.")
    var threads = 2

    func validate() throws {
        if let overlap { guard (0..<1).contains(overlap) else { throw ValidationError("--overlap must be in [0, 1)") } }
        guard threshold > 0, threshold < 1 else { throw ValidationError("--threshold must be in (0, 1)") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        try runReportingErrors {
            try precision?.checkSupported()
            var job = PredictionJob()
            job.context = NetContext(workers: threads)
            job.checkpoint = checkpoint
            job.overlap = overlap
            job.blending = blending
            job.threshold = threshold
            job.largestLiverComponent = largestLiver
            job.lesionsInsideLiver = lesionsInLiver
            job.litsNames = litsNames
            job.probabilities = probabilities
            job.precision = precision
            // Under mpirun/srun each rank predicts its share of the cases; rank 0 writes the record.
            let cluster = Cluster.world
            let (total, result) = try job.run(run: runFolder, data: data, out: out, group: cluster.group)
            guard cluster.rank == 0 else { return }
            print("predicted \(result.results.count) of \(total) cases into \(out)")
            try reportFailures(result.failures, total: total)
        }
    }
}
