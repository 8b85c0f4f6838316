import Foundation
import LiTSCore
import LiTSRender

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
    public static func merge(_ parts: [String], into out: String, title: String, partial: Bool,
                             figures: FigureFormat? = nil) throws -> MergeResult {
        let set = try ShardFolder.read(parts, command: command, partial: partial, as: EvaluationOptions.self)
        let failed = set.failed
        var evaluations: [String: [String: CaseRow]] = [:]
        for (part, _) in set.records {
            let file = "\(part)/\(EvaluationReport.casesFile)"
            guard let data = FileManager.default.contents(atPath: file) else {
                throw LiTSError(.notFound, path: file, "missing: not a finished shard of `lits evaluate --shard`; rerun that shard")
            }
            let cases = try EvaluationJSON.decode([CaseRow].self, from: data, path: file)
            evaluations[part] = Dictionary(cases.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        }
        // The montages each shard wrote (`read` checked they are all there).
        let listed = Dictionary(set.records.map { ($0.path, Set($0.record.files ?? [])) }, uniquingKeysWith: { a, _ in a })
        // The shards' montage format (one for all: their settings agree; nil in older records: PNG).
        let montageFormat = set.records.first?.record.settings.figures ?? .png
        var cases: [CaseRow] = []
        var montages: [(from: String, id: String)] = []
        for (id, part) in set.caseOrder {
            // A case that failed in its shard (its truth could not be read) is a row too.
            if let reason = failed[id] {
                cases.append(.unscored(UnscoredCase(id: id, status: .error, reason: reason + "; not scored")))
                continue
            }
            guard let e = evaluations[part]?[id] else {
                throw LiTSError(.notFound, path: "\(part)/\(EvaluationReport.casesFile)", "holds no case \(id), though shard.json lists it as evaluated; rerun that shard")
            }
            let montage = EvaluationReport.montageFile(id, format: montageFormat)
            if listed[part]?.contains(montage) == true { montages.append(("\(part)/\(montage)", id)) }
            cases.append(e)
        }
        guard cases.contains(where: { $0.status == .scored }) else {
            throw LiTSError(.noCases, path: parts[0], "no case was evaluated in any part (\(failed.count) failed)")
        }
        try OutputFolder.prepare(out, inputs: parts, command: command)
        try EvaluationReport.writeCases(cases, montages: [:], to: out)
        FigureFiles.removeAll(prefix: EvaluationReport.montagePrefix, in: out)   // an earlier merge's, in any format
        for (from, id) in montages { try AtomicFile.copy(from, to: "\(out)/\(EvaluationReport.montageFile(id, format: montageFormat))") }
        let summary = EvaluationSummary.compute(cases, missing: set.records.first?.record.settings.missing ?? .zero)
        let format = figures ?? set.records.first?.record.settings.figures ?? .png
        try EvaluationReport.write(summary, montageIDs: Set(montages.map(\.id)), to: out, title: title, failed: failed, figures: format,
                                  montageFormat: montageFormat)
        return MergeResult(summary: summary, failed: failed, warnings: set.warnings)
    }
}
