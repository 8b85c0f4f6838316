import Foundation
import LiTSCore
import LiTSImaging
import LiTSRender

/// `lits eda DATA --out DIR`: `run`, made of the steps around the per-case loop.
public enum EDARun {
    public struct Options: Sendable {
        public var connectivity: Connectivity = .twentySix
        public var montageSlices = 8
        /// Only this part of the cases, and no page (merge the parts with `EDAShards.merge`).
        public var shard: JobShard?
        public var title: String?
        /// The format of the report's figures (`--figures`).
        public var figures: FigureFormat = .png

        public init() {}
    }

    /// Finds the cases (of the shard), prepares `out` and clears case results of an earlier run.
    /// Returns the cases, what the whole dataset is (for a shard's record) and the files discovery passed over.
    public static func prepare(_ inputs: [String], out: String, options: Options)
        throws -> (cases: [Case], source: ShardSource, skipped: [SkippedFile]) {
        let found = try Dataset.discoverListingSkipped(inputs)
        let all = found.cases
        let cases = options.shard.map { $0.select(all) } ?? all
        try OutputFolder.prepare(out, inputs: inputs, command: options.shard == nil ? EDAShards.reportCommand : EDAShards.shardCommand)
        // Before anything is cleared: a folder of another shard is refused whole.
        if let part = options.shard { try ShardFolder.checkSameShard(out, part) }
        EDAShards.clearCases(in: out)
        QAReport.clearCases(in: out)
        // The page and the dataset-level files of an earlier run go too, so that a run that ends
        // before its report (no case analysed, a full disk) leaves no report of other cases.
        if options.shard == nil { EDAReport.clearReport(in: out) }
        return (cases, ShardSource(inputs: inputs, cases: all), found.skipped)
    }

    /// Analyses one case and saves its results and montage into `out`, with its QA facts and
    /// evidence montage (one reading and one body mask for both); returns the case id.
    public static func analyse(_ c: Case, options: Options, into out: String) throws -> String {
        // A case that fails (a file that cannot be written on a full disk) leaves none of its files:
        // it is listed as failed, and a later report would otherwise show it.
        do { return try analyseSaving(c, options: options, into: out) } catch {
            removeCaseFiles(c.id, in: out)
            throw error
        }
    }

    /// The files `analyse` writes for case `id`, removed.
    static func removeCaseFiles(_ id: String, in out: String) {
        FigureFiles.remove("figures/case-\(id)", in: out)
        unlink("\(out)/\(EDAReport.casesFolder)/\(id).json")
        QAReport.removeCaseFiles(id, in: out)
    }

    static func analyseSaving(_ c: Case, options: Options, into out: String) throws -> String {
        let q = try QALoad.load(c, tolerateGridMismatch: false)
        let loaded = q.loaded
        let body = BodyMask.compute(loaded.ct)
        var eda = CaseAnalyzer.analyze(loaded, connectivity: options.connectivity, body: body)
        let tiles = CaseMontage.tiles(for: loaded, axialCount: options.montageSlices)
        eda.montageTiles = tiles.map(\.note)
        try EDAReport.saveCase(eda, montage: CaseMontage.render(loaded, tiles: tiles), in: out, format: options.figures)
        let facts = QAMeasure.facts(q, body: body)
        try QAReport.saveCase(facts, montage: QAReport.montage(loaded, findings: QAChecks.caseFindings(facts)), in: out,
                              format: options.figures)
        return eda.id
    }

    /// `lits eda`: the cases under `inputs` (of the shard) analysed `threads` at a time into `out`,
    /// then the shard description or the report. Returns the number of cases, the line to print
    /// (nil when nothing was written) and the failures.
    public static func run(_ inputs: [String], out: String, options: Options,
                           threads: Int, group: ProcessGroup? = nil) throws -> (cases: Int, line: String?, failures: [(Case, String)]) {
        // With a process group rank 0 prepares the folder, each rank analyses its share of the
        // cases into it, and rank 0 writes the report from every case's saved results.
        var cases: [Case] = []
        var source: ShardSource?
        var skipped: [SkippedFile] = []
        try (group ?? SingleProcess()).onRankZero { (cases, source, skipped) = try prepare(inputs, out: out, options: options) }
        if let group, group.rank != 0 {
            let all = try Dataset.discover(inputs)
            cases = options.shard.map { $0.select(all) } ?? all
        }
        let mine = CaseRunner.run(group?.share(of: cases) ?? cases, threads: threads, label: "eda") { c in try analyse(c, options: options, into: out) }
        guard let result = try group.map({ try $0.gather(mine, of: cases) }) ?? mine else { return (cases.count, nil, []) }
        do {
            let line = try finish(out: out, options: options, analysed: result.results.map(\.1), failed: result.failedByID, source: source, skipped: skipped)
            return (cases.count, line, result.failures)
        } catch {
            if options.shard == nil { EDAReport.clearReport(in: out) }   // no partial report
            throw ReportError(error: error, failures: result.failures, cases: cases.count)
        }
    }

    /// The report (or shard description) could not be written after the cases ran: its error, and
    /// the cases that failed, which the user must still hear about.
    public struct ReportError: Error {
        public var error: Error
        public var failures: [(Case, String)]
        public var cases: Int
    }

    /// After the loop: the shard description, or the report (when any case succeeded). Returns the
    /// line to print, nil when nothing was written.
    public static func finish(out: String, options: Options, analysed: [String], failed: [String: String],
                              source: ShardSource? = nil, skipped: [SkippedFile] = []) throws -> String? {
        if let part = options.shard {
            var info = EDAShards.ShardInfo(shard: part.text, cases: analysed, failed: failed, connectivity: options.connectivity.rawValue,
                                           source: source, files: EDAShards.writtenFiles(of: analysed, in: out), skipped: skipped)
            info.figures = options.figures
            try ReportFolder(out).writeJSON(info, name: EDAShards.shardFile)
            return "shard \(part.text): \(analysed.count) case(s) in \(out); combine with `lits eda merge`"
        }
        guard !analysed.isEmpty else { return nil }
        let results = try EDAReport.loadCases(from: [out])
        try EDAReport.write(EDAResult(results), to: out, title: options.title ?? EDAShards.defaultTitle(out), failed: failed, skipped: skipped,
                             figures: options.figures)
        return "report: \(out)/index.md (\(results.count) case(s))"
    }
}
