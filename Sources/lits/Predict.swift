import ArgumentParser
import Foundation
import LiTSCore
import LiTSImaging
import LiTSNet
import LiTSTraining

struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Predict whole volumes with a trained run: sliding window, threshold, post-processing, NIfTI on each source grid.",
        discussion: """
        Each case is preprocessed as the run's training data was, predicted with overlapping windows \
        of the run's patch size (Gaussian or constant blending), thresholded, optionally cleaned \
        (largest liver component, lesions only inside the liver), mapped back to the source file's \
        grid and affine, and written as DIR/segmentation-N.nii.gz (uint8: 0 background, 1 liver, \
        2 tumor), or DIR/test-segmentation-N.nii with --lits-names.
        """)

    @Option(name: .customLong("run"), help: "Run folder of `lits train`.")
    var runFolder: String

    @Argument(help: "Dataset folder(s) or volume files to predict.")
    var data: [String]

    @Option(name: .shortAndLong, help: "Output folder (created; must not be inside the input).")
    var out: String

    @Option(help: "Checkpoint: best or last.")
    var checkpoint = "best"

    @Option(help: "Sliding-window overlap.")
    var overlap: Double?

    @Option(help: "gaussian or constant blending of overlapping windows.")
    var blending: String?

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

    @Option(help: "Worker threads.")
    var threads = 2

    func validate() throws {
        guard ["best", "last"].contains(checkpoint) else { throw ValidationError("--checkpoint must be best or last") }
        if let blending { guard Blending(rawValue: blending) != nil else { throw ValidationError("--blending must be gaussian or constant") } }
        if let overlap { guard (0..<1).contains(overlap) else { throw ValidationError("--overlap must be in [0, 1)") } }
        guard threshold > 0, threshold < 1 else { throw ValidationError("--threshold must be in (0, 1)") }
    }

    func run() throws {
        try runReportingErrors {
            let folder = RunFolder(runFolder)
            var options = try folder.readConfig()
            let path = checkpoint == "best" ? folder.best : folder.last
            guard FileManager.default.fileExists(atPath: path) else {
                throw LiTSError(.notFound, path: path, "no \(checkpoint) checkpoint in the run (has it finished an epoch?)")
            }
            let info: Checkpoint.Info
            let model: UNet3D
            do {
                info = try Checkpoint.info(path)
                guard info.model == options.model else {
                    throw LiTSError(.mismatch, path: path, "checkpoint config \(info.model.filters) does not match the run's config.json \(options.model.filters)")
                }
                model = try Checkpoint.load(path, context: NetContext(workers: threads))
            } catch let e as CheckpointError {
                throw LiTSError(.corrupt, path: e.path ?? path, e.reason)
            }
            if let overlap { options.overlap = overlap }
            if let blending { options.blending = Blending(rawValue: blending)! }
            let cases = try Dataset.discover(data)
            try OutputFolder.prepare(out, inputs: data, marker: "predictions.json")
            var predictor = Predictor(model: model, options: options)
            predictor.threshold = threshold
            predictor.largestLiverComponent = largestLiver
            predictor.lesionsInsideLiver = lesionsInLiver
            let outDir = out, names = litsNames, withProbabilities = probabilities, p = predictor
            // The model runs its own two workers per layer, so cases go one at a time.
            let (ok, failures) = runCases(cases, threads: 1, label: "predict") { c in
                let loaded = try CaseLoader.load(c, withLabels: false)
                let result = p.predict(loaded, withProbabilities: withProbabilities)
                let name = names ? "test-segmentation-\(c.id).nii" : "segmentation-\(c.id).nii.gz"
                try NIfTIWriter.write(result.labels, to: "\(outDir)/\(name)", sformCode: Int32(max(1, loaded.source.sformCode)),
                                      description: "LiTSKit predict")
                if let probs = result.probabilities {
                    try NIfTIWriter.write(probs[0], to: "\(outDir)/probability-liver-\(c.id).nii.gz")
                    try NIfTIWriter.write(probs[1], to: "\(outDir)/probability-lesion-\(c.id).nii.gz")
                }
                return name
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let record: [String: [String]] = ["run": [runFolder], "checkpoint": [path], "files": ok.map(\.1), "failed": failures.map(\.0.id)]
            try AtomicFile.write(try encoder.encode(record), to: "\(out)/predictions.json")
            print("predicted \(ok.count) of \(cases.count) cases into \(out)")
            try reportFailures(failures, total: cases.count)
        }
    }
}
