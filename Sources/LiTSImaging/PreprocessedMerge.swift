import Foundation
import LiTSCore

/// `lits preprocess merge PARTS... --out DIR`: shard folders of `lits preprocess --shard i/n`
/// into the one preprocessed folder a single run writes (the same arrays, the same manifest).
extension PreprocessedFolder {
    /// What `merge` did: the cases in the manifest, the failed ones, warnings for the user.
    public struct MergeResult: Sendable {
        public var cases: Int
        public var failed: [String: String]
        public var warnings: [String]
    }

    /// Every part is read and checked before `out` is created, so bad parts leave no output;
    /// the manifest is written last, once every array is in place.
    public static func merge(_ parts: [String], into out: String, partial: Bool) throws -> MergeResult {
        let set = try ShardFolder.read(parts, command: command, partial: partial, as: PreprocessOptions.self)
        let failed = set.failed
        var manifests: [String: [String: PreprocessedCase]] = [:]
        for (part, record) in set.records where record.cases.contains(where: { failed[$0] == nil }) {
            let file = "\(part)/\(PreprocessManifest.fileName)"
            guard let data = FileManager.default.contents(atPath: file) else {
                throw LiTSError(.notFound, path: file, "missing, though shard.json lists preprocessed cases; rerun that shard")
            }
            let manifest = try JSONFile.decode(PreprocessManifest.self, from: data, path: file)
            guard manifest.options == set.settings else {
                throw LiTSError(.mismatch, path: file, "options differ from the shard's shard.json")
            }
            manifests[part] = Dictionary(manifest.cases.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        }
        var entries: [PreprocessedCase] = []
        var copies: [(from: String, to: String)] = []
        for (id, part) in set.caseOrder where failed[id] == nil {
            guard let e = manifests[part]?[id] else {
                throw LiTSError(.notFound, path: "\(part)/\(PreprocessManifest.fileName)", "lists no case \(id), though shard.json does; rerun that shard")
            }
            if let problem = problem(e) { throw LiTSError(.corrupt, path: "\(part)/\(PreprocessManifest.fileName)", "case \(id): \(problem)") }
            for name in [e.volumeFile] + (e.maskFile.map { [$0] } ?? []) {
                guard FileManager.default.fileExists(atPath: "\(part)/\(name)") else {
                    throw LiTSError(.notFound, path: "\(part)/\(name)", "listed in the manifest but missing; rerun that shard")
                }
                copies.append(("\(part)/\(name)", "\(out)/\(name)"))
            }
            entries.append(e)
        }
        guard !entries.isEmpty else {
            throw LiTSError(.noCases, path: parts[0], "no case was preprocessed in any part (\(failed.count) failed)")
        }
        try OutputFolder.prepare(out, inputs: parts, command: command)
        for (from, to) in copies { try AtomicFile.copy(from, to: to) }
        try PreprocessManifest(options: set.settings, cases: entries, failed: failed).write(into: out)
        return MergeResult(cases: entries.count, failed: failed, warnings: set.warnings)
    }
}
