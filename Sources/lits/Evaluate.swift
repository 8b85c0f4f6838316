import ArgumentParser
import Foundation
import LiTSCore
import LiTSEvaluation
import LiTSImaging
import LiTSRender

struct Evaluate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate predictions against ground truth: LiTS metrics, lesion detection, Dice per liver region.",
        discussion: """
        Predictions are NIfTI label maps named segmentation-N.nii[.gz], test-segmentation-N.nii or \
        volume-N's matching name, on the same grid as the truth case N. The report folder gets \
        index.md, data/cases.csv, data/regions.csv, data/lesions.csv, charts and worst-slice \
        montages. `--compare REPORT_A REPORT_B` instead puts the per-region differences of two \
        reports side by side (for example uniform against liver-biased sampling).
        """)

    @Option(help: "Folder of predicted segmentations.")
    var pred: String?

    @Option(help: "Ground-truth dataset (LiTS or MSD layout).")
    var truth: String?

    @Option(name: .shortAndLong, help: "Report folder (created; must not be inside an input).")
    var out: String

    @Option(parsing: .upToNextOption, help: "Two evaluation reports to compare (instead of --pred/--truth).")
    var compare: [String] = []

    @Option(help: "Dice a truth lesion must reach with the overlapping predicted components to count as detected.")
    var detectionDice = 0.5

    @Flag(help: "Count a lesion as detected on any overlap.")
    var anyOverlap = false

    @Flag(help: "Split the liver into thirds by volume instead of by slices.")
    var regionsByVolume = false

    @Option(help: "Report title.")
    var title = "Evaluation"

    func validate() throws {
        if compare.isEmpty {
            guard pred != nil, truth != nil else { throw ValidationError("give --pred and --truth, or --compare REPORT_A REPORT_B") }
        } else {
            guard compare.count == 2 else { throw ValidationError("--compare takes exactly two report folders") }
        }
        guard (0...1).contains(detectionDice) else { throw ValidationError("--detection-dice must be in [0, 1]") }
    }

    static func predictionPath(in folder: String, id: String) -> String? {
        ["segmentation-\(id).nii.gz", "segmentation-\(id).nii", "test-segmentation-\(id).nii", "test-segmentation-\(id).nii.gz",
         "liver_\(id).nii.gz", "volume-\(id).nii.gz", "volume-\(id).nii"].map { "\(folder)/\($0)" }.first { FileManager.default.fileExists(atPath: $0) }
    }

    func run() async throws {
        try await runReportingErrorsAsync {
            if !compare.isEmpty {
                try OutputFolder.prepare(out, inputs: compare, marker: "index.md")
                print(try EvaluationReport.compare(compare[0], compare[1], to: out))
                return
            }
            let cases = try Dataset.discover(truth!).filter { $0.segmentationPath != nil }
            guard !cases.isEmpty else { throw LiTSError(.noCases, path: truth!, "no cases with a ground-truth segmentation") }
            try OutputFolder.prepare(out, inputs: [pred!, truth!], marker: "index.md")
            var options = EvaluationOptions()
            options.detectionDice = detectionDice
            options.anyOverlap = anyOverlap
            options.regionsByVolume = regionsByVolume
            let predFolder = pred!
            let chosen = options
            let caseRun = CaseRunner.run(cases, threads: 2, label: "evaluate") { c -> (CaseEvaluation, RGBImage?) in
                guard let path = Evaluate.predictionPath(in: predFolder, id: c.id) else {
                    throw LiTSError(.notFound, path: predFolder, "no prediction for case \(c.id) (expected segmentation-\(c.id).nii.gz)")
                }
                let loaded = try CaseLoader.load(c)
                let (raw, source) = try NIfTIReader.readLabels(path: path)
                guard source.grid.shape == loaded.source.grid.shape else {
                    throw LiTSError(.mismatch, path: path, "grid \(source.grid.shape) does not match the truth's \(loaded.source.grid.shape)")
                }
                let prediction = loaded.reorientation.toCanonical(Volume(grid: loaded.source.grid, voxels: raw.voxels))
                let e = CaseEvaluator.evaluate(id: c.id, predictionPath: path, truth: loaded.labels!, prediction: prediction, options: chosen)
                return (e, EvaluationReport.worstSlices(ct: loaded.ct, truth: loaded.labels!, prediction: prediction, evaluation: e))
            }
            let (ok, failures) = (caseRun.results, caseRun.failures)
            let evaluations = ok.map(\.1.0)
            var montages: [String: RGBImage] = [:]
            for (c, (_, image)) in ok { if let image { montages[c.id] = image } }
            if !evaluations.isEmpty {
                try await EvaluationReport.write(evaluations, montages: montages, to: out, title: title,
                                                 failed: Dictionary(uniqueKeysWithValues: failures.map { ($0.0.id, $0.1) }))
                for e in evaluations {
                    print(String(format: "case %@: liver Dice %.4f, lesion Dice %@, lesions found %d/%d", e.id, e.liver.dice,
                                 e.lesion.dice.isNaN ? "-" : String(format: "%.4f", e.lesion.dice), e.lesions.filter(\.detected).count, e.lesions.count))
                }
                print("report: \(out)/index.md")
            }
            try reportFailures(failures, total: cases.count)
        }
    }
}
