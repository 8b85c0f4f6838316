import Foundation
import LiTSCore

/// Which rules `lits evaluate` scores by: this toolkit's (medpy-equal metrics, lesion detection
/// by Dice, regions, charts) or the LiTS challenge's scoring program, number for number.
public enum EvaluationProtocol: String, CaseIterable, Codable, Sendable {
    case standard = "default"
    case lits
}

/// One row of the `--protocol lits` report: every truth case given is one. In
/// `lits-scores.json` a scored row (from its own prediction, or as an empty one) is a
/// `LiTSCaseScores` object, an unscored one `{id, status, reason}`.
public enum LiTSCaseRow: Codable, Equatable, Sendable {
    case scored(LiTSCaseScores)
    case unscored(UnscoredCase)

    public var id: String {
        switch self { case .scored(let s): return s.id; case .unscored(let u): return u.id }
    }
    public var status: CaseStatus {
        switch self { case .scored(let s): return s.rowStatus; case .unscored(let u): return u.status }
    }
    public var reason: String? {
        switch self { case .scored(let s): return s.reason; case .unscored(let u): return u.reason }
    }
    public var scores: LiTSCaseScores? {
        if case .scored(let s) = self { return s }
        return nil
    }

    enum Probe: String, CodingKey { case liverDice }

    public init(from decoder: Decoder) throws {
        let probe = try decoder.container(keyedBy: Probe.self)
        self = probe.contains(.liverDice) ? .scored(try LiTSCaseScores(from: decoder)) : .unscored(try UnscoredCase(from: decoder))
    }

    public func encode(to encoder: Encoder) throws {
        switch self { case .scored(let s): try s.encode(to: encoder); case .unscored(let u): try u.encode(to: encoder) }
    }
}

extension Evaluation {
    /// The prediction of case `c` as the program reads it: the stored voxels, which must be on the
    /// truth's grid. A prediction of another shape is refused, as the program refuses it; one
    /// whose affine differs is refused too (the program would score its voxels against the wrong
    /// ones without a word).
    static func litsPrediction(_ path: String, truth: LabelMap) throws -> [UInt8] {
        let prediction = try CaseLoader.readPrediction(path: path)
        guard prediction.grid.shape == truth.grid.shape else {
            throw LiTSError(.mismatch, path: path, "grid \(prediction.grid.shape) does not match the truth's \(truth.grid.shape)")
        }
        if let problem = CaseLoader.affineMismatch(prediction.grid.affine, truth.grid.affine, spacing: truth.grid.spacing) {
            throw LiTSError(.mismatch, path: path, "affine \(CaseLoader.format(prediction.grid.affine)) does not match the truth's "
                            + "\(CaseLoader.format(truth.grid.affine)) (\(problem)); --protocol lits scores the stored voxel order")
        }
        return prediction.voxels
    }

    /// One case under `--protocol lits`: both label maps as stored (the program reads the arrays
    /// as nibabel gives them, without reorienting; its component numbers follow that order), the
    /// truth's pixdim as spacing. A truth that cannot be read throws (an `error` row); a
    /// prediction that is missing or refused is scored as an empty prediction by the official
    /// rules (`--missing zero`: liver Dice 0 and the other `liver-dice-0` values, lesion Dice 0,
    /// or 1 where the truth has no lesion) or left unscored (`--missing skip`).
    public static func scoreLiTS(_ c: Case, pred: PredictionFolder, missing: MissingPolicy = .zero) throws -> LiTSCaseRow {
        let truth = try CaseLoader.readLabels(c)
        var prediction: [UInt8], problem: (status: CaseStatus, reason: String)?
        do {
            let path = try pred.prediction(for: c.id)
            do {
                prediction = try litsPrediction(path, truth: truth)
            } catch let e as LiTSError {
                (prediction, problem) = ([], (.refused, e.description))
            }
        } catch let e as LiTSError {
            (prediction, problem) = ([], (.missing, e.description))
        }
        if let problem, missing == .skip {
            return .unscored(UnscoredCase(id: c.id, status: problem.status, reason: problem.reason + "; left out of the means (--missing skip)"))
        }
        if problem != nil { prediction = [UInt8](repeating: 0, count: truth.voxels.count) }
        var scores = LiTSCaseScores(id: c.id, truth: truth.voxels, prediction: prediction, shape: truth.grid.shape, spacing: truth.grid.spacing)
        if let problem {
            scores.status = problem.status
            scores.reason = problem.reason + "; scored as an empty prediction by the official rules (--missing zero)"
        }
        return .scored(scores)
    }

    /// `lits evaluate --protocol lits`: every labelled case under `truth`, cases two at a time,
    /// scored as the LiTS scoring program scores them, into the report folder `out`
    /// (`LiTSReport`). Every case is a row of the report, scored or not. Returns the number of
    /// cases, the scores (nil when no case had a usable prediction: then nothing is written) and
    /// the cases not scored from their own prediction, with why.
    public static func runLiTS(pred: String, truth: String, out: String, title: String, missing: MissingPolicy = .zero,
                               threads: Int = 2) throws -> (cases: Int, scores: LiTSScores?, failures: [(Case, String)]) {
        let cases = try prepare(pred: pred, truth: truth, out: out)
        let folder = try PredictionFolder(reading: pred)
        let result = CaseRunner.run(cases, threads: threads, label: "evaluate (LiTS protocol)") { c in try scoreLiTS(c, pred: folder, missing: missing) }
        let rows = litsRows(cases, results: result.results.map(\.1), failed: result.failedByID)
        let failures = rows.compactMap { row in
            row.status == .scored ? nil : cases.first { $0.id == row.id }.map { ($0, row.reason ?? "") }
        }
        // Not one case with a usable prediction: most likely the wrong --pred folder; no report.
        guard rows.contains(where: { $0.status == .scored }) else { return (cases.count, nil, failures) }
        let scores = LiTSScores(rows.compactMap(\.scores))
        try LiTSReport.write(scores, rows: rows, to: out, title: title, missing: missing)
        return (cases.count, scores, failures)
    }

    /// Every case, sorted by id as the program visits the reference files (the order only moves
    /// rounding): its row, or an `error` row where its truth could not be read.
    static func litsRows(_ cases: [Case], results: [LiTSCaseRow], failed: [String: String]) -> [LiTSCaseRow] {
        let byID = Dictionary(results.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let rows: [LiTSCaseRow] = cases.compactMap { c in
            byID[c.id] ?? failed[c.id].map { .unscored(UnscoredCase(id: c.id, status: .error, reason: $0 + "; not scored")) }
        }
        return rows.sorted { $0.id.localizedStandardCompare($1.id) == .orderedAscending }
    }
}
