import Foundation

/// `shard.json` of a shard folder of `lits preprocess`, `predict` or `evaluate --shard i/n`:
/// which command and settings computed it, and which cases of the split it holds, so that
/// `merge` can check the parts belong together and put the cases back in the order one run
/// takes them.
public struct ShardRecord<Settings: Codable & Equatable & Sendable>: Codable, Sendable {
    /// The command whose output this is part of, e.g. "lits preprocess".
    public var command: String
    /// "i/n".
    public var shard: String
    /// Cases in the whole split (every shard of one split sees the same number).
    public var total: Int
    /// This shard's cases, in the split's order (the failed ones included).
    public var cases: [String]
    public var failed: [String: String]
    /// What must be the same in every part (options that change the outputs).
    public var settings: Settings

    public init(command: String, shard: JobShard, total: Int, cases: [String], failed: [String: String], settings: Settings) {
        self.command = command
        self.shard = shard.text
        self.total = total
        self.cases = cases
        self.failed = failed
        self.settings = settings
    }
}

/// Shard folders: writing their record, and reading the parts of a split back for a merge.
public enum ShardFolder {
    public static let recordFile = "shard.json"

    /// The kind recorded in a shard folder's marker (`OutputFolder`), so a shard and a whole
    /// output never share a folder.
    public static func command(_ command: String) -> String { command + " --shard" }

    /// The marker kind of `command`'s output folder: the whole output, or a shard of it.
    public static func outputKind(_ command: String, shard: JobShard?) -> String {
        shard == nil ? command : self.command(command)
    }

    public static func write<S>(_ record: ShardRecord<S>, to dir: String) throws {
        try JSONFile.write(record, to: "\(dir)/\(recordFile)", encoder: JSONFile.nonFiniteEncoder())
    }

    /// The parts of one split, checked: each a shard of `command`, all of one split and with the
    /// same settings, none given twice, and none missing unless `partial` (then a warning).
    public struct Parts<S: Codable & Equatable & Sendable>: Sendable {
        public var records: [(path: String, record: ShardRecord<S>)]
        public var settings: S
        public var warnings: [String]

        /// Every case of the parts in the order one run over the whole split takes them, with the
        /// part that holds it.
        public var caseOrder: [(id: String, part: String)] {
            var placed: [(Int, String, String)] = []
            for (path, record) in records {
                let shard = JobShard(parsing: record.shard)!
                for (k, id) in record.cases.enumerated() { placed.append((shard.position(ofItem: k), id, path)) }
            }
            return placed.sorted { $0.0 < $1.0 }.map { ($0.1, $0.2) }
        }

        /// The failed cases of every part.
        public var failed: [String: String] {
            records.reduce(into: [:]) { all, p in all.merge(p.record.failed) { a, _ in a } }
        }
    }

    public static func read<S>(_ parts: [String], command: String, partial: Bool, as: S.Type = S.self) throws -> Parts<S> {
        guard !parts.isEmpty else { throw LiTSError(.invalidArgument, path: nil, "give the shard folders to merge") }
        let decoder = JSONFile.nonFiniteDecoder()
        var records: [(path: String, record: ShardRecord<S>)] = []
        for part in parts {
            let file = "\(part)/\(recordFile)"
            guard let data = FileManager.default.contents(atPath: file) else {
                throw LiTSError(.notFound, path: part, "no \(recordFile): not a shard folder of `\(self.command(command)) i/n`")
            }
            do {
                let kind = try decoder.decode(RecordKind.self, from: data).command
                guard kind == command else { throw LiTSError(.mismatch, path: part, "is a shard of `\(kind)`, not of `\(command)`") }
            } catch let error as DecodingError {
                // `lits eda --shard` folders have a shard.json of their own, without a command.
                throw LiTSError(.mismatch, path: part, "is not a shard of `\(command)` (its \(recordFile): \(JSONFile.reason(error)))")
            }
            let record: ShardRecord<S>
            do { record = try decoder.decode(ShardRecord<S>.self, from: data) } catch {
                throw LiTSError(.corrupt, path: file, "not a LiTSKit shard description (\(JSONFile.reason(error)))")
            }
            guard let shard = JobShard(parsing: record.shard), record.total >= 0,
                  record.cases.count == shard.selectedCount(of: record.total) else {
                throw LiTSError(.corrupt, path: file, "not a LiTSKit shard description (shard \(record.shard) of \(record.total) case(s) with \(record.cases.count))")
            }
            records.append((part, record))
        }
        let first = records[0]
        for (path, record) in records.dropFirst() {
            guard record.settings == first.record.settings else {
                throw LiTSError(.mismatch, path: path, "was computed with other settings than \(first.path) (see their \(recordFile)); merge parts of one run only")
            }
            guard record.total == first.record.total else {
                throw LiTSError(.mismatch, path: path, "is a shard of \(record.total) case(s), \(first.path) of \(first.record.total): not the same dataset")
            }
        }
        let warnings = try checkComplete(records.map { (path: $0.path, shard: JobShard(parsing: $0.record.shard)!) }, partial: partial)
        // Shards of two datasets of the same size pass the checks above but share case ids.
        var holder: [String: String] = [:]
        for (path, record) in records {
            for id in record.cases {
                if let other = holder[id] { throw LiTSError(.mismatch, path: path, "case \(id) is also in \(other): not shards of one dataset") }
                holder[id] = path
            }
        }
        return Parts(records: records, settings: first.record.settings, warnings: warnings)
    }

    /// Shards of one split must all be there: a missing one (a cluster task that failed or is
    /// still running) would silently leave its cases out. `partial` turns the error into a
    /// warning, which is returned.
    public static func checkComplete(_ shards: [(path: String, shard: JobShard)], partial: Bool) throws -> [String] {
        guard let first = shards.first else { return [] }
        var seen: [Int: String] = [:]
        for (path, shard) in shards {
            if shard.count != first.shard.count {
                throw LiTSError(.mismatch, path: path,
                                "shard \(shard.text) does not belong to the same split as \(first.path) (shard \(first.shard.text))")
            }
            if let other = seen[shard.index] {
                throw LiTSError(.invalidArgument, path: path, "shard \(shard.text) is also given as \(other)")
            }
            seen[shard.index] = path
        }
        let missing = Set(1...first.shard.count).subtracting(seen.keys).sorted()
        guard !missing.isEmpty else { return [] }
        let names = missing.map { "\($0)/\(first.shard.count)" }.joined(separator: ", ")
        if partial { return ["shard(s) \(names) missing; their cases are left out"] }
        throw LiTSError(.invalidArgument, path: first.path,
                        "shard(s) \(names) missing: their cases would be left out (give every part, or --partial)")
    }
}

/// The command of a `shard.json`, read first so that another command's shard gets a clear error.
private struct RecordKind: Decodable { var command: String }
