import Foundation
import LiTSCore

/// Which rules `lits evaluate` scores by: this toolkit's (medpy-equal metrics, lesion detection
/// by Dice, regions, charts) or the LiTS challenge's scoring program, number for number.
public enum EvaluationProtocol: String, CaseIterable, Codable, Sendable {
    case standard = "default"
    case lits
}

extension Evaluation {
    /// One case under `--protocol lits`: both label maps as stored (the program reads the arrays
    /// as nibabel gives them, without reorienting; its component numbers follow that order), the
    /// truth's pixdim as spacing. A prediction of another shape is refused, as the program
    /// refuses it; one whose affine differs is refused too (the program would score its voxels
    /// against the wrong ones without a word).
    public static func scoreLiTS(_ c: Case, pred: PredictionFolder) throws -> LiTSCaseScores {
        let path = try pred.prediction(for: c.id)
        let (truth, _) = try NIfTIReader.readLabels(path: c.segmentationPath!)
        let (prediction, _) = try NIfTIReader.readLabels(path: path)
        guard prediction.grid.shape == truth.grid.shape else {
            throw LiTSError(.mismatch, path: path, "grid \(prediction.grid.shape) does not match the truth's \(truth.grid.shape)")
        }
        if let problem = CaseLoader.affineMismatch(prediction.grid.affine, truth.grid.affine, spacing: truth.grid.spacing) {
            throw LiTSError(.mismatch, path: path, "affine \(CaseLoader.format(prediction.grid.affine)) does not match the truth's "
                            + "\(CaseLoader.format(truth.grid.affine)) (\(problem)); --protocol lits scores the stored voxel order")
        }
        return LiTSCaseScores(id: c.id, truth: truth.voxels, prediction: prediction.voxels, shape: truth.grid.shape,
                              spacing: truth.grid.spacing)
    }

    /// `lits evaluate --protocol lits`: every labelled case under `truth`, cases two at a time,
    /// scored as the LiTS scoring program scores them, into the report folder `out`
    /// (`LiTSReport`). Returns the number of cases, the scores (nil when no case could be
    /// scored) and the failures.
    public static func runLiTS(pred: String, truth: String, out: String, title: String,
                               threads: Int = 2) throws -> (cases: Int, scores: LiTSScores?, failures: [(Case, String)]) {
        let cases = try prepare(pred: pred, truth: truth, out: out)
        let folder = try PredictionFolder(reading: pred)
        let result = CaseRunner.run(cases, threads: threads, label: "evaluate (LiTS protocol)") { c in try scoreLiTS(c, pred: folder) }
        // The program visits the reference files sorted by name; the order only moves rounding.
        let perCase = result.results.map(\.1).sorted { $0.id.localizedStandardCompare($1.id) == .orderedAscending }
        guard !perCase.isEmpty else { return (cases.count, nil, result.failures) }
        let scores = LiTSScores(perCase)
        try LiTSReport.write(scores, cases: perCase, to: out, title: title, failed: result.failedByID)
        return (cases.count, scores, result.failures)
    }
}
