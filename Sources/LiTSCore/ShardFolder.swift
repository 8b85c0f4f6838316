import Foundation

/// What a shard was computed from, recorded in its `shard.json` so that `merge` refuses parts of
/// different inputs (two datasets of the same size, or evaluations of two prediction folders).
public struct ShardSource: Codable, Equatable, Sendable {
    /// One input: its paths and a fingerprint of its files.
    public struct Input: Codable, Equatable, Sendable {
        /// The paths as given, made absolute. Only for messages: a copy of one dataset on each
        /// node (`cp -a` to local scratch) is the same input, and its fingerprint says so.
        public var paths: [String]
        /// FNV-1a (64 bit, hex) over the files' names, sizes and modification times, in case order:
        /// cheap enough for every task to take over the whole dataset; not a security check.
        public var fingerprint: String
    }

    /// The dataset, every case of it (not only the shard's), so that every shard of one run agrees.
    public var dataset: Input
    /// `lits evaluate`: the prediction folder scored (its files for every case and its record).
    public var predictions: Input?

    public init(inputs: [String], cases: [Case], predictions: Input? = nil) {
        let lines = cases.sorted { $0.id < $1.id }.map { c in
            [c.id, Self.entry(c.volumePath), c.segmentationPath.map(Self.entry) ?? "-"].joined(separator: "\t")
        }
        dataset = Input(paths: inputs.map(OutputFolder.resolved), fingerprint: Self.fingerprint(lines))
        self.predictions = predictions
    }

    /// A folder's `files` (nil: none for that case) as an input.
    public static func input(folder: String, files: [String?]) -> Input {
        Input(paths: [OutputFolder.resolved(folder)], fingerprint: fingerprint(files.map { $0.map(entry) ?? "-" }))
    }

    /// "name, size, modification time" of a file (following links, as the reader does).
    static func entry(_ path: String) -> String {
        var s = stat()
        let name = URL(fileURLWithPath: path).lastPathComponent
        guard stat(path, &s) == 0 else { return "\(name)\tmissing" }
        return "\(name)\t\(s.st_size)\t\(s.st_mtim.tv_sec).\(s.st_mtim.tv_nsec)"
    }

    static func fingerprint(_ lines: [String]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in lines.joined(separator: "\n").utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        return String(format: "%016llx", hash)
    }

    /// Parts must come from the same inputs: the first that differs from the first part is an
    /// error naming both folders and what differs. A part without a source (a `shard.json` of an
    /// older LiTSKit) cannot be checked and is refused.
    public static func check(_ parts: [(path: String, source: ShardSource?)]) throws {
        guard let first = parts.first else { return }
        for (path, source) in parts where source == nil {
            throw LiTSError(.mismatch, path: "\(path)/\(ShardFolder.recordFile)",
                            "records no dataset fingerprint (written by an older LiTSKit), so it cannot be checked against the other parts; rerun the shards")
        }
        let a = first.source!
        for (path, source) in parts.dropFirst() {
            let b = source!
            if b.dataset.fingerprint != a.dataset.fingerprint {
                throw LiTSError(.mismatch, path: path, "was computed from another dataset than \(first.path) (\(describe(b.dataset)) vs \(describe(a.dataset))); merge the shards of one run only")
            }
            if b.predictions != nil || a.predictions != nil, b.predictions?.fingerprint != a.predictions?.fingerprint {
                throw LiTSError(.mismatch, path: path, "was computed from other predictions than \(first.path) (--pred \(b.predictions.map(describe) ?? "none") vs \(a.predictions.map(describe) ?? "none")); merge the shards of one run only")
            }
        }
    }

    static func describe(_ input: Input) -> String {
        "\(input.paths.joined(separator: " ")), fingerprint \(input.fingerprint)"
    }
}

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
    /// What it was computed from (nil in a record of an older LiTSKit: refused by `merge`).
    public var source: ShardSource?
    /// Every file the shard wrote for `merge`, relative to its folder (nil in an older record).
    public var files: [String]?

    public init(command: String, shard: JobShard, total: Int, cases: [String], failed: [String: String], settings: Settings,
                source: ShardSource, files: [String]) {
        self.command = command
        self.shard = shard.text
        self.total = total
        self.cases = cases
        self.failed = failed
        self.settings = settings
        self.source = source
        self.files = files
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

    /// Prepares a command's output folder (`OutputFolder.prepare`); a shard's is also refused
    /// when it holds another shard.
    public static func prepareOutput(_ out: String, inputs: [String], command: String, shard: JobShard?) throws {
        try OutputFolder.prepare(out, inputs: inputs, command: outputKind(command, shard: shard))
        if let shard { try checkSameShard(out, shard) }
    }

    /// A shard folder takes only a rerun of its own shard: another shard written into it would
    /// replace its `shard.json` and leave its files behind as orphans. Call with the folder locked.
    public static func checkSameShard(_ out: String, _ shard: JobShard) throws {
        let file = "\(out)/\(recordFile)"
        guard let data = FileManager.default.contents(atPath: file) else { return }
        guard let held = try? JSONFile.nonFiniteDecoder().decode(RecordShard.self, from: data) else {
            throw LiTSError(.corrupt, path: file, "not a LiTSKit shard description; refusing to write shard \(shard.text) over it")
        }
        guard held.shard == shard.text else {
            throw LiTSError(.notWritable, path: out, "holds shard \(held.shard) (its \(recordFile)); choose another folder for shard \(shard.text)")
        }
    }

    /// The files of `files` (relative to `part`) that are not there.
    public static func missing(_ files: [String], in part: String) -> [String] {
        files.filter { !FileManager.default.fileExists(atPath: "\(part)/\($0)") }
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
                throw LiTSError(.mismatch, path: path, "was computed with other settings than \(first.path) (\(differingKeys(record.settings, first.record.settings)) differ; see their \(recordFile)); merge parts of one run only")
            }
            guard record.total == first.record.total else {
                throw LiTSError(.mismatch, path: path, "is a shard of \(record.total) case(s), \(first.path) of \(first.record.total): not the same dataset")
            }
        }
        try ShardSource.check(records.map { ($0.path, $0.record.source) })
        // Every file a part lists must be there: a lost one would drop out of the merge unseen.
        for (path, record) in records {
            if let lost = missing(record.files ?? [], in: path).first {
                throw LiTSError(.notFound, path: "\(path)/\(lost)", "listed in its \(recordFile) but missing; rerun that shard")
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

/// The shard of any `shard.json` (of `lits eda` too, whose record has no command).
private struct RecordShard: Decodable { var shard: String }

/// The top-level keys in which two settings differ, for the message of a refused merge.
func differingKeys<S: Encodable>(_ a: S, _ b: S) -> String {
    let encoder = JSONFile.nonFiniteEncoder()
    // Each value as sorted-key JSON text, so equal values compare equal.
    func fields(_ s: S) -> [String: Data] {
        guard let data = try? encoder.encode(s),
              let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { return [:] }
        return object.compactMapValues { try? JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys, .fragmentsAllowed]) }
    }
    let x = fields(a), y = fields(b)
    let keys = Set(x.keys).union(y.keys).filter { x[$0] != y[$0] }.sorted()
    return keys.isEmpty ? "the settings" : keys.joined(separator: ", ")
}
