import Foundation
import LiTSCore

/// `lits evaluate merge PARTS... --out DIR`: shard folders of `lits evaluate --shard i/n` into
/// the report one run over every case writes.
extension Evaluation {
    /// What `merge` did: the summary of the merged report, the failed cases, warnings for the user.
    public struct MergeResult: Sendable {
        public var summary: EvaluationSummary
        public var failed: [String: String]
        public var warnings: [String]
    }

    /// Every part is read and checked before `out` is created, so bad parts leave no output;
    /// index.md is written last.
    public static func merge(_ parts: [String], into out: String, title: String, partial: Bool) throws -> MergeResult {
        let set = try ShardFolder.read(parts, command: command, partial: partial, as: EvaluationOptions.self)
        let failed = set.failed
        let decoder = JSONFile.nonFiniteDecoder()
        var evaluations: [String: [String: CaseEvaluation]] = [:]
        for (part, _) in set.records {
            let file = "\(part)/\(EvaluationReport.casesFile)"
            guard let data = FileManager.default.contents(atPath: file) else {
                throw LiTSError(.notFound, path: file, "missing: not a finished shard of `lits evaluate --shard`; rerun that shard")
            }
            let cases = try JSONFile.decode([CaseEvaluation].self, from: data, path: file, decoder: decoder)
            evaluations[part] = Dictionary(cases.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        }
        // The montages each shard wrote (`read` checked they are all there).
        let listed = Dictionary(set.records.map { ($0.path, Set($0.record.files ?? [])) }, uniquingKeysWith: { a, _ in a })
        var cases: [CaseEvaluation] = []
        var montages: [(from: String, id: String)] = []
        for (id, part) in set.caseOrder where failed[id] == nil {
            guard let e = evaluations[part]?[id] else {
                throw LiTSError(.notFound, path: "\(part)/\(EvaluationReport.casesFile)", "holds no case \(id), though shard.json lists it as evaluated; rerun that shard")
            }
            let montage = EvaluationReport.montageFile(id)
            if listed[part]?.contains(montage) == true { montages.append(("\(part)/\(montage)", id)) }
            cases.append(e)
        }
        guard !cases.isEmpty else {
            throw LiTSError(.noCases, path: parts[0], "no case was evaluated in any part (\(failed.count) failed)")
        }
        try OutputFolder.prepare(out, inputs: parts, command: command)
        try EvaluationReport.writeCases(cases, montages: [:], to: out)
        for (from, id) in montages { try AtomicFile.copy(from, to: "\(out)/\(EvaluationReport.montageFile(id))") }
        let summary = EvaluationSummary.compute(cases)
        try EvaluationReport.write(summary, montageIDs: Set(montages.map(\.id)), to: out, title: title, failed: failed)
        return MergeResult(summary: summary, failed: failed, warnings: set.warnings)
    }
}
