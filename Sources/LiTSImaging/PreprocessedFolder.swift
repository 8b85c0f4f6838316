import Foundation
import LiTSCore

/// `manifest.json` of a preprocessed folder.
public struct PreprocessManifest: Codable, Sendable {
    public static let fileName = "manifest.json"
    public var tool = "LiTSKit preprocess"
    public var formatVersion = 1
    public var options: PreprocessOptions
    public var arrayLayout = "C order (nz, ny, nx) in canonical RAS+ orientation: array[k, j, i] is voxel (i, j, k); k runs inferior to superior"
    public var cases: [PreprocessedCase]
    public var failed: [String: String]

    public init(options: PreprocessOptions, cases: [PreprocessedCase], failed: [String: String]) {
        self.options = options
        self.cases = cases
        self.failed = failed
    }
}

/// One preprocessed case in memory: normalised CT and labels on the preprocessed (canonical) grid.
public struct PreprocessedArrays: Sendable {
    public var id: String
    public var image: Volume<Float>
    public var labels: LabelMap?

    public init(id: String, image: Volume<Float>, labels: LabelMap?) {
        self.id = id
        self.image = image
        self.labels = labels
    }
}

/// A `lits preprocess` folder: `volN.npy` (float32 in [0, 1]), `maskN.npy` (uint8 0/1/2) and the
/// `manifest.json` that describes them. The one owner of that file: `lits preprocess` and
/// `lits train` on raw data write it here, training reads it here.
public struct PreprocessedFolder: Sendable {
    public let path: String
    public let manifest: PreprocessManifest

    /// Opens a folder written by `write`.
    public init(reading path: String) throws {
        let file = "\(path)/\(PreprocessManifest.fileName)"
        guard let data = FileManager.default.contents(atPath: file) else {
            throw LiTSError(.notFound, path: file, "no manifest.json: not a `lits preprocess` folder")
        }
        manifest = try JSONFile.decode(PreprocessManifest.self, from: data, path: file)
        guard !manifest.cases.isEmpty else { throw LiTSError(.noCases, path: file, "the manifest lists no cases") }
        if let problem = Preprocessor.problem(manifest.options) { throw LiTSError(.corrupt, path: file, "options: \(problem)") }
        for e in manifest.cases {
            if let problem = PreprocessedFolder.problem(e) { throw LiTSError(.corrupt, path: file, "case \(e.id): \(problem)") }
        }
        self.path = path
    }

    /// A reason when a (possibly hand-edited) manifest entry cannot be used: its arrays must be
    /// files inside the folder, its grid well formed.
    static func problem(_ e: PreprocessedCase) -> String? {
        for name in [e.volumeFile] + (e.maskFile.map { [$0] } ?? []) {
            if name.isEmpty || name.contains("/") || name.hasPrefix(".") || !name.hasSuffix(".npy") {
                return "array file '\(name)' must be a .npy file inside the folder"
            }
        }
        if e.shape.count != 3 || e.shape.contains(where: { $0 < 1 }) { return "shape \(e.shape) must be three positive sides" }
        if e.spacing.count != 3 || e.spacing.contains(where: { !($0 > 0 && $0.isFinite) }) { return "spacing \(e.spacing) must be three positive values" }
        if e.affine.count != 4 || e.affine.contains(where: { $0.count != 4 || $0.contains { !$0.isFinite } }) { return "affine must be 4x4 and finite" }
        if let box = e.bodyBox, let p = box.problem(on: e.canonicalShape) { return "body \(p)" }
        return nil
    }

    /// Whether `path` holds a manifest (a finished `write`).
    public static func exists(at path: String) -> Bool {
        FileManager.default.fileExists(atPath: "\(path)/\(PreprocessManifest.fileName)")
    }

    public var ids: [String] { manifest.cases.map(\.id) }

    public func entry(_ id: String) -> PreprocessedCase? { manifest.cases.first { $0.id == id } }

    /// Reads a case's arrays (C order (nz, ny, nx) = NIfTI order on the preprocessed grid).
    public func load(_ id: String) throws -> PreprocessedArrays {
        guard let e = entry(id) else { throw LiTSError(.notFound, path: path, "no case \(id) in the manifest") }
        let grid = Grid(shape: e.shape, spacing: e.spacing, affine: Affine(rows: e.affine))
        let vol = try NPY.read(path: "\(path)/\(e.volumeFile)")
        try vol.requireFinite(path: "\(path)/\(e.volumeFile)")
        guard vol.shape == e.shape.reversed() else {
            throw LiTSError(.mismatch, path: "\(path)/\(e.volumeFile)", "shape \(vol.shape) does not match the manifest's \(Array(e.shape.reversed()))")
        }
        var labels: LabelMap?
        if let maskFile = e.maskFile {
            let mask = try NPY.read(path: "\(path)/\(maskFile)")
            guard mask.shape == e.shape.reversed(), mask.dtype == .uint8 else {
                throw LiTSError(.mismatch, path: "\(path)/\(maskFile)", "expected uint8 labels of shape \(Array(e.shape.reversed()))")
            }
            labels = LabelMap(grid: grid, voxels: mask.bytes())
        }
        return PreprocessedArrays(id: id, image: Volume(grid: grid, voxels: vol.floats()), labels: labels)
    }

    /// Preprocesses cases in parallel into `dir` (which must exist) and writes `manifest.json` when
    /// at least one case succeeded.
    /// With a process group each rank writes its share of the cases and rank 0 writes the one
    /// manifest (the other ranks return an empty run).
    public static func write(_ cases: [Case], options: PreprocessOptions, into dir: String,
                             threads: Int, group: ProcessGroup? = nil) throws -> CaseRunResult<PreprocessedCase> {
        let mine = CaseRunner.run(group?.share(of: cases) ?? cases, threads: threads, label: "preprocess") { c in
            // A failed case leaves none of its arrays, neither this run's (the mask write failed
            // on a full disk) nor an earlier run's.
            do { return try preprocess(c, options: options, into: dir) } catch {
                for name in arrayFiles(of: c.id) { unlink("\(dir)/\(name)") }
                throw error
            }
        }
        guard let run = try group.map({ try $0.gather(mine, of: cases) }) ?? mine else { return CaseRunResult(results: [], failures: []) }
        if !run.results.isEmpty {
            try PreprocessManifest(options: options, cases: run.results.map(\.1), failed: run.failedByID).write(into: dir)
        } else {
            unlink("\(dir)/\(PreprocessManifest.fileName)")   // an earlier run's manifest would list them
        }
        return run
    }

    /// The arrays a case's entry names (`Preprocessor.run`'s names).
    static func arrayFiles(of id: String) -> [String] { ["vol\(id).npy", "mask\(id).npy"] }

    /// One case's arrays written into `dir`; its manifest entry.
    static func preprocess(_ c: Case, options: PreprocessOptions, into dir: String) throws -> PreprocessedCase {
        let loaded = try CaseLoader.load(c)
        try Preprocessor.checkFits(loaded, options: options)
        let (ct, labels, entry) = Preprocessor.run(loaded, options: options)
        try NPY.write(ct, to: "\(dir)/\(entry.volumeFile)")
        if let labels, let maskFile = entry.maskFile { try NPY.write(labels, to: "\(dir)/\(maskFile)") }
        return entry
    }

    /// The output kind of a preprocessed folder (`OutputFolder`'s marker, `ShardRecord.command`).
    public static let command = "lits preprocess"

    /// `lits preprocess`: cases found under `data` (only `shard`'s, if given) into the output
    /// folder `out` (created; refused inside an input or over a foreign folder). A shard folder
    /// also gets `shard.json`, for `merge`. Returns the number of cases to do and the run.
    public static func create(from data: [String], out: String, options: PreprocessOptions, threads: Int,
                              group: ProcessGroup? = nil, shard: JobShard? = nil) throws -> (cases: Int, run: CaseRunResult<PreprocessedCase>) {
        let all = try Dataset.discover(data)
        let cases = shard.map { $0.select(all) } ?? all
        let source = ShardSource(inputs: data, cases: all)
        try (group ?? SingleProcess()).onRankZero {
            try ShardFolder.prepareOutput(out, inputs: data, command: command, shard: shard)
        }
        let run = try write(cases, options: options, into: out, threads: threads, group: group)
        if let shard, (group?.rank ?? 0) == 0 {
            let arrays = run.results.flatMap { [$0.1.volumeFile] + ($0.1.maskFile.map { [$0] } ?? []) }
            try ShardFolder.write(ShardRecord(command: command, shard: shard, total: all.count, cases: cases.map(\.id),
                                              failed: run.failedByID, settings: options, source: source,
                                              files: arrays + (arrays.isEmpty ? [] : [PreprocessManifest.fileName])), to: out)
        }
        return (cases.count, run)
    }
}

extension PreprocessManifest {
    /// `manifest.json` in `dir`, the last file a run writes (a folder without it is unfinished).
    func write(into dir: String) throws {
        try JSONFile.write(self, to: "\(dir)/\(PreprocessManifest.fileName)")
    }
}
