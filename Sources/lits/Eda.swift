import ArgumentParser
import Foundation
import LiTSAnalysis
import LiTSCore
import LiTSImaging
import LiTSRender

struct Eda: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eda",
        abstract: "Dataset EDA report: HU statistics, lesion 3D components, fingerprint, montages and charts.",
        subcommands: [EdaRun.self, EdaMerge.self],
        defaultSubcommand: EdaRun.self)
}

/// Marker files that make a folder ours to refresh.
enum EdaFolder {
    static let report = "index.md"
    static let shard = "shard.json"

    struct ShardInfo: Codable {
        var shard: String
        var cases: [String]
        var failed: [String: String]
        var connectivity: Int
    }

    /// Removes case results of an earlier run, so they cannot leak into this one.
    static func clearCases(in dir: String) {
        let fm = FileManager.default
        for (folder, test) in [("\(dir)/\(EDAReport.casesFolder)", { (n: String) in n.hasSuffix(".json") }),
                               ("\(dir)/figures", { (n: String) in n.hasPrefix("case-") && n.hasSuffix(".png") })] {
            for name in (try? fm.contentsOfDirectory(atPath: folder)) ?? [] where test(name) {
                try? fm.removeItem(atPath: "\(folder)/\(name)")
            }
        }
    }

    static func defaultTitle(_ out: String) -> String {
        "EDA report: " + URL(fileURLWithPath: out).standardizedFileURL.lastPathComponent
    }
}

struct EdaRun: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Analyse a dataset into a report folder (the default: `lits eda DATA --out DIR`).",
        discussion: """
        The report folder gets index.md, figures/ (montages and charts), charts/ (gnuplot scripts and \
        data), data/cases.csv, data/lesions.csv, data/fingerprint.json, data/summary.json and \
        data/cases/ID.json. With --shard i/n only every n-th case (starting at the i-th) is analysed \
        and no page is written; `lits eda merge` combines the shards into the report one run gives.
        """)

    @Argument(help: "Dataset folder(s) or volume files.")
    var data: [String]

    @Option(name: .shortAndLong, help: "Report folder (created; must not be inside the input).")
    var out: String

    @Option(help: "Report title (default: 'EDA report: ' and the folder name).")
    var title: String?

    @Option(help: "Lesion connectivity: 6, 18 or 26.")
    var connectivity = 26

    @Option(help: "Compute only part i of n (1-based), e.g. 3/8 for a job array; merge the parts with `lits eda merge`.")
    var shard: String?

    @Option(help: "Axial slices per case montage, evenly spaced over the liver.")
    var montageSlices = 8

    @Option(help: "Cases analysed in parallel (memory grows with it: about 4x one case's CT each).")
    var threads = 2

    func validate() throws {
        guard Connectivity(rawValue: connectivity) != nil else { throw ValidationError("--connectivity must be 6, 18 or 26") }
        if let shard { guard EdaRun.parseShard(shard) != nil else { throw ValidationError("--shard must be i/n with 1 <= i <= n") } }
        guard montageSlices >= 1 else { throw ValidationError("--montage-slices must be at least 1") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }

    static func parseShard(_ text: String) -> (index: Int, count: Int)? {
        let parts = text.split(separator: "/").compactMap { Int($0) }
        guard parts.count == 2, parts[1] >= 1, (1...parts[1]).contains(parts[0]) else { return nil }
        return (parts[0], parts[1])
    }

    func run() async throws {
        try await runReportingErrorsAsync {
            let all = try Dataset.discover(data)
            let part = shard.flatMap(EdaRun.parseShard)
            let cases = part.map { p in all.enumerated().filter { $0.offset % p.count == p.index - 1 }.map(\.element) } ?? all
            try OutputFolder.prepare(out, inputs: data, marker: part == nil ? EdaFolder.report : EdaFolder.shard)
            EdaFolder.clearCases(in: out)
            let outDir = out
            let conn = Connectivity(rawValue: connectivity)!
            let slices = montageSlices
            let caseRun = CaseRunner.run(cases, threads: threads, label: "eda") { c in
                let loaded = try CaseLoader.load(c)
                var eda = CaseAnalyzer.analyze(loaded, connectivity: conn)
                let tiles = CaseMontage.tiles(for: loaded, axialCount: slices)
                eda.montageTiles = tiles.map(\.note)
                try EDAReport.saveCase(eda, montage: CaseMontage.render(loaded, tiles: tiles), in: outDir)
                return eda.id
            }
            let (ok, failures) = (caseRun.results, caseRun.failures)
            let failed = Dictionary(uniqueKeysWithValues: failures.map { ($0.0.id, $0.1) })
            if let part {
                let info = EdaFolder.ShardInfo(shard: "\(part.index)/\(part.count)", cases: ok.map(\.1), failed: failed, connectivity: connectivity)
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                try AtomicFile.write(try encoder.encode(info), to: "\(out)/\(EdaFolder.shard)")
                print("shard \(part.index)/\(part.count): \(ok.count) case(s) in \(out); combine with `lits eda merge`")
            } else if !ok.isEmpty {
                let results = try EDAReport.loadCases(from: [out])
                try await EDAReport.render(results, in: out, title: title ?? EdaFolder.defaultTitle(out), failed: failed)
                print("report: \(out)/index.md (\(results.count) case(s))")
            }
            try reportFailures(failures, total: cases.count)
        }
    }
}

struct EdaMerge: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Combine shard folders from `lits eda --shard i/n` into one report.")

    @Argument(help: "Shard (or report) folders.")
    var parts: [String]

    @Option(name: .shortAndLong, help: "Report folder (created).")
    var out: String

    @Option(help: "Report title (default: 'EDA report: ' and the folder name).")
    var title: String?

    @Flag(help: "Merge even when some shards i/n are missing (a cluster job that did not finish).")
    var partial = false

    func run() async throws {
        try await runReportingErrorsAsync {
            let cases = try EDAReport.loadCases(from: parts)
            var failed: [String: String] = [:]
            var connectivity: Set<Int> = Set(cases.map(\.connectivity))
            var shards: [(part: String, index: Int, count: Int)] = []
            for part in parts {
                if let data = FileManager.default.contents(atPath: "\(part)/\(EdaFolder.shard)"),
                   let info = try? JSONDecoder().decode(EdaFolder.ShardInfo.self, from: data) {
                    failed.merge(info.failed) { a, _ in a }
                    connectivity.insert(info.connectivity)
                    if let s = EdaRun.parseShard(info.shard) { shards.append((part, s.index, s.count)) }
                }
            }
            try EdaMerge.checkShardsComplete(shards, partial: partial)
            guard connectivity.count <= 1 else {
                throw LiTSError(.mismatch, path: parts.joined(separator: " "), "shards were computed with different --connectivity (\(connectivity.sorted()))")
            }
            try OutputFolder.prepare(out, inputs: parts, marker: EdaFolder.report)
            EdaFolder.clearCases(in: out)
            let fm = FileManager.default
            try fm.createDirectory(atPath: "\(out)/\(EDAReport.casesFolder)", withIntermediateDirectories: true)
            try fm.createDirectory(atPath: "\(out)/figures", withIntermediateDirectories: true)
            for part in parts {
                for c in cases {
                    for (from, to) in [("\(part)/\(EDAReport.casesFolder)/\(c.id).json", "\(out)/\(EDAReport.casesFolder)/\(c.id).json"),
                                       ("\(part)/figures/case-\(c.id).png", "\(out)/figures/case-\(c.id).png")]
                    where fm.fileExists(atPath: from) {
                        try AtomicFile.write(try Data(contentsOf: URL(fileURLWithPath: from)), to: to)
                    }
                }
            }
            try await EDAReport.render(cases, in: out, title: title ?? EdaFolder.defaultTitle(out), failed: failed)
            print("report: \(out)/index.md (\(cases.count) case(s) from \(parts.count) part(s))")
        }
    }

    /// Shards of one split must all be there: a missing one (a cluster task that failed or is
    /// still running) would silently leave its cases out of the report. `partial` turns the error
    /// into a warning.
    static func checkShardsComplete(_ shards: [(part: String, index: Int, count: Int)], partial: Bool) throws {
        guard let first = shards.first else { return }
        if let other = shards.first(where: { $0.count != first.count }) {
            throw LiTSError(.mismatch, path: other.part,
                            "shard \(other.index)/\(other.count) does not belong to the same split as \(first.part) (shard \(first.index)/\(first.count))")
        }
        let missing = Set(1...first.count).subtracting(shards.map(\.index)).sorted()
        guard !missing.isEmpty else { return }
        let names = missing.map { "\($0)/\(first.count)" }.joined(separator: ", ")
        if partial {
            FileHandle.standardError.write(Data("lits: warning: shard(s) \(names) missing; their cases are not in the report\n".utf8))
        } else {
            throw LiTSError(.invalidArgument, path: first.part,
                            "shard(s) \(names) missing: their cases would be left out (give every part, or --partial)")
        }
    }
}
