import Foundation
import LiTSCore

/// `lits eda --shard i/n` and `lits eda merge`: the shard description, and merging shard folders
/// into one report (the shard itself is a `JobShard`).
public enum EDAShards {
    /// The output kinds in a folder's marker (`OutputFolder`): a report, or a shard of one.
    public static let reportCommand = "lits eda"
    public static let shardCommand = "lits eda --shard"
    /// The file that describes a shard: which cases it holds.
    public static let shardFile = "shard.json"

    /// `shard.json`.
    public struct ShardInfo: Codable, Sendable {
        public var shard: String
        public var cases: [String]
        public var failed: [String: String]
        public var connectivity: Int

        public init(shard: String, cases: [String], failed: [String: String], connectivity: Int) {
            self.shard = shard
            self.cases = cases
            self.failed = failed
            self.connectivity = connectivity
        }
    }

    /// Removes case results of an earlier run, so they cannot leak into this one.
    public static func clearCases(in dir: String) {
        let fm = FileManager.default
        for (folder, test) in [("\(dir)/\(EDAReport.casesFolder)", { (n: String) in n.hasSuffix(".json") }),
                               ("\(dir)/figures", { (n: String) in n.hasPrefix("case-") && n.hasSuffix(".png") })] {
            for name in (try? fm.contentsOfDirectory(atPath: folder)) ?? [] where test(name) {
                try? fm.removeItem(atPath: "\(folder)/\(name)")
            }
        }
    }

    public static func defaultTitle(_ out: String) -> String {
        "EDA report: " + URL(fileURLWithPath: out).standardizedFileURL.lastPathComponent
    }

    /// What `merge` did: the number of cases in the report and warnings for the user.
    public struct MergeResult: Sendable {
        public var cases: Int
        public var warnings: [String]
    }

    /// Combines shard (or report) folders into one report in `out`.
    public static func merge(_ parts: [String], into out: String, title: String?, partial: Bool) throws -> MergeResult {
        let cases = try EDAReport.loadCases(from: parts)
        var failed: [String: String] = [:]
        var connectivity: Set<Int> = Set(cases.map(\.connectivity))
        var shards: [(path: String, shard: JobShard)] = []
        var lost: [String] = []
        for part in parts {
            let file = "\(part)/\(shardFile)"
            guard let data = FileManager.default.contents(atPath: file) else { continue }
            guard let info = try? JSONDecoder().decode(ShardInfo.self, from: data), let s = JobShard(parsing: info.shard) else {
                throw LiTSError(.corrupt, path: file, "not a LiTSKit shard description")
            }
            failed.merge(info.failed) { a, _ in a }
            connectivity.insert(info.connectivity)
            shards.append((part, s))
            // Each shard lists what it analysed: a case file lost since (a failed copy, a full
            // disk) would otherwise drop out of the report without a word.
            for id in info.cases where !FileManager.default.fileExists(atPath: "\(part)/\(EDAReport.casesFolder)/\(id).json") {
                lost.append("\(part)/\(EDAReport.casesFolder)/\(id).json")
            }
        }
        var warnings = try ShardFolder.checkComplete(shards, partial: partial)
        if !lost.isEmpty {
            let list = lost.prefix(5).joined(separator: ", ") + (lost.count > 5 ? " (\(lost.count) in all)" : "")
            guard partial else {
                throw LiTSError(.notFound, path: lost[0], "listed in its shard.json but missing: \(lost.count) case file(s) lost (\(list)); rerun that shard, or --partial")
            }
            warnings.append("\(lost.count) case file(s) listed by their shard are missing and left out: \(list)")
        }
        guard connectivity.count <= 1 else {
            throw LiTSError(.mismatch, path: parts.joined(separator: " "), "shards were computed with different --connectivity (\(connectivity.sorted()))")
        }
        try OutputFolder.prepare(out, inputs: parts, command: reportCommand)
        clearCases(in: out)
        QAReport.clearCases(in: out)
        let fm = FileManager.default
        try fm.createDirectory(atPath: "\(out)/\(EDAReport.casesFolder)", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: "\(out)/figures", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: "\(out)/\(QAReport.factsFolder)", withIntermediateDirectories: true)
        for part in parts {
            for c in cases {
                for (from, to) in [("\(part)/\(EDAReport.casesFolder)/\(c.id).json", "\(out)/\(EDAReport.casesFolder)/\(c.id).json"),
                                   ("\(part)/figures/case-\(c.id).png", "\(out)/figures/case-\(c.id).png"),
                                   ("\(part)/\(QAReport.factsFolder)/\(c.id).json", "\(out)/\(QAReport.factsFolder)/\(c.id).json"),
                                   ("\(part)/figures/qa-\(c.id).png", "\(out)/figures/qa-\(c.id).png")]
                where fm.fileExists(atPath: from) {
                    try AtomicFile.write(try Data(contentsOf: URL(fileURLWithPath: from)), to: to)
                }
            }
        }
        try EDAReport.write(EDAResult(cases), to: out, title: title ?? defaultTitle(out), failed: failed)
        return MergeResult(cases: cases.count, warnings: warnings)
    }
}
