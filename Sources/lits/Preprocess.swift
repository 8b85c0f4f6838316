import ArgumentParser
import Foundation
import LiTSCluster
import LiTSCore
import LiTSImaging

struct Preprocess: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Window, resample and normalise cases into volN.npy / maskN.npy plus manifest.json.",
        discussion: """
        Arrays are float32 (CT, [0, 1]) and uint8 (labels 0/1/2), C order with shape (nz, ny, nx) in \
        canonical RAS+ orientation. manifest.json records each case's source files, original grid \
        and affine and the new grid, so predictions can be mapped back onto the original files.
        """)

    @Argument(help: "Dataset folder(s) or volume files.")
    var data: [String]

    @Option(name: .shortAndLong, help: "Output folder (created; must not be inside the input).")
    var out: String

    @OptionGroup var preprocessing: PreprocessingArguments

    @Option(help: "CT interpolation (labels always use nearest neighbour).")
    var interpolation = CTInterpolation.linear

    @Option(help: "Contrast enhancement before resampling.")
    var equalize = EqualizeChoice.none

    @OptionGroup var enhancement: EnhancementArguments

    @Option(help: "Cases processed in parallel.")
    var threads = 2

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        try runReportingErrors {
            var options = preprocessing.options
            options.interpolation = interpolation.interpolation
            if let method = equalize.method {
                options.equalize = method
                options.enhancement = enhancement.options
            }
            // Under mpirun/srun each rank takes its share of the cases; rank 0 writes the manifest and reports.
            let cluster = Cluster.world
            let (total, result) = try PreprocessedFolder.create(from: data, out: out, options: options, threads: threads, group: cluster.group)
            guard cluster.rank == 0 else { return }
            if !result.results.isEmpty { print("preprocessed \(result.results.count) of \(total) cases into \(out)") }
            try reportFailures(result.failures, total: total)
        }
    }
}
