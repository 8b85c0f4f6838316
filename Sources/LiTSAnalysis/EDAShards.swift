import Foundation
import LiTSCore
import LiTSRender

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
        /// What it was computed from (nil in a record of an older LiTSKit: refused by `merge`).
        public var source: ShardSource?
        /// Every file of its cases, relative to the folder (nil in an older record).
        public var files: [String]?
        /// Files discovery passed over in the whole dataset (nil in an older record).
        public var skipped: [SkippedFile]?
        /// The figure format the shard was run with (`--figures`; nil in an older record: PNG),
        /// which `merge` keeps unless told otherwise.
        public var figures: FigureFormat?

        public init(shard: String, cases: [String], failed: [String: String], connectivity: Int,
                    source: ShardSource?, files: [String], skipped: [SkippedFile]) {
            self.shard = shard
            self.cases = cases
            self.failed = failed
            self.connectivity = connectivity
            self.source = source
            self.files = files
            self.skipped = skipped
        }
    }

    /// The files a case can have in a report or shard folder: its results, its montage, its QA
    /// facts and their montage (a montage only when the case had something to show, in the
    /// run's `--figures` format: every format is named, so a shard's record lists what it wrote).
    public static func caseFiles(_ id: String) -> [String] {
        ["\(EDAReport.casesFolder)/\(id).json"] + FigureFiles.all("figures/case-\(id)")
            + ["\(QAReport.factsFolder)/\(id).json"] + FigureFiles.all("figures/qa-\(id)")
    }

    /// The files of `cases` that are in `dir` (after the cases were analysed into it).
    public static func writtenFiles(of cases: [String], in dir: String) -> [String] {
        cases.flatMap(caseFiles).filter { FileManager.default.fileExists(atPath: "\(dir)/\($0)") }
    }

    /// Removes case results of an earlier run, so they cannot leak into this one.
    public static func clearCases(in dir: String) {
        let fm = FileManager.default
        let folder = "\(dir)/\(EDAReport.casesFolder)"
        for name in (try? fm.contentsOfDirectory(atPath: folder)) ?? [] where name.hasSuffix(".json") {
            try? fm.removeItem(atPath: "\(folder)/\(name)")
        }
        // Montages in every format: a rerun with another --figures leaves none of the old ones.
        FigureFiles.removeAll(prefix: "case-", in: dir)
    }

    public static func defaultTitle(_ out: String) -> String {
        "EDA report: " + URL(fileURLWithPath: out).standardizedFileURL.lastPathComponent
    }

    /// What `merge` did: the number of cases in the report and warnings for the user.
    public struct MergeResult: Sendable {
        public var cases: Int
        public var warnings: [String]
    }

    /// Combines shard folders into one report in `out`. Every part is checked (one dataset, one
    /// split, one `--connectivity`, every file it lists there) before `out` is touched; only the
    /// files the shards list are taken.
    public static func merge(_ parts: [String], into out: String, title: String?, partial: Bool,
                             figures: FigureFormat? = nil) throws -> MergeResult {
        guard !parts.isEmpty else { throw LiTSError(.invalidArgument, path: nil, "give the shard folders to merge") }
        let infos = try parts.map { ($0, try readInfo($0)) }
        try ShardSource.check(infos.map { ($0.0, $0.1.source) })
        if let (part, info) = infos.first(where: { $0.1.connectivity != infos[0].1.connectivity }) {
            throw LiTSError(.mismatch, path: part, "was computed with --connectivity \(info.connectivity), \(infos[0].0) with \(infos[0].1.connectivity)")
        }
        var holder: [String: String] = [:]
        var failed: [String: String] = [:]
        var copies: [(part: String, file: String)] = []
        var lost: [String] = []
        for (part, info) in infos {
            failed.merge(info.failed) { a, _ in a }
            let listed = Set(info.files ?? [])
            for id in info.cases {
                if let other = holder[id] { throw LiTSError(.invalidArgument, path: part, "case \(id) is also in \(other)") }
                holder[id] = part
                // Each shard lists what it wrote: a file lost since (a failed copy, a full disk)
                // would otherwise drop the case, its QA rows or its montage without a word.
                let files = caseFiles(id).filter(listed.contains)
                let missing = ShardFolder.missing(files, in: part)
                if missing.isEmpty { copies += files.map { (part, $0) } } else { lost += missing.map { "\(part)/\($0)" } }
            }
        }
        var warnings = try ShardFolder.checkComplete(infos.map { ($0.0, JobShard(parsing: $0.1.shard)!) }, partial: partial)
        if !lost.isEmpty {
            let list = lost.prefix(5).joined(separator: ", ") + (lost.count > 5 ? " (\(lost.count) in all)" : "")
            guard partial else {
                throw LiTSError(.notFound, path: lost[0], "listed in its shard.json but missing: \(lost.count) file(s) lost (\(list)); rerun that shard, or --partial")
            }
            warnings.append("\(lost.count) file(s) listed by their shard are missing; their cases are left out: \(list)")
        }
        // Every case file is read before `out` is touched, so a damaged one leaves no output.
        for (part, file) in copies where file.hasPrefix(EDAReport.casesFolder) { _ = try JSONFile.read(CaseEDA.self, from: "\(part)/\(file)") }
        try OutputFolder.prepare(out, inputs: parts, command: reportCommand)
        clearCases(in: out)
        QAReport.clearCases(in: out)
        let fm = FileManager.default
        for folder in [EDAReport.casesFolder, "figures", QAReport.factsFolder] {
            try fm.createDirectory(atPath: "\(out)/\(folder)", withIntermediateDirectories: true)
        }
        for (part, file) in copies {
            try AtomicFile.write(try Data(contentsOf: URL(fileURLWithPath: "\(part)/\(file)")), to: "\(out)/\(file)")
        }
        // The report from the cases now in `out`, as one run writes it.
        let cases = try EDAReport.loadCases(from: [out])
        // Every shard saw the whole dataset (their fingerprints agree), so one list says it.
        let skipped = infos.first?.1.skipped ?? []
        try EDAReport.write(EDAResult(cases), to: out, title: title ?? defaultTitle(out), failed: failed, skipped: skipped,
                            figures: figures ?? infos.first?.1.figures ?? .png)
        return MergeResult(cases: cases.count, warnings: warnings)
    }

    /// A part's `shard.json`, which must be there and of this version (with its source and files).
    static func readInfo(_ part: String) throws -> ShardInfo {
        let file = "\(part)/\(shardFile)"
        guard let data = FileManager.default.contents(atPath: file) else {
            throw LiTSError(.notFound, path: part, "no \(shardFile): not a shard folder of `lits eda --shard i/n`")
        }
        guard let info = try? JSONDecoder().decode(ShardInfo.self, from: data), JobShard(parsing: info.shard) != nil else {
            throw LiTSError(.corrupt, path: file, "not a LiTSKit shard description")
        }
        return info
    }
}
