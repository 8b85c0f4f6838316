import Foundation
import LiTSCore

/// `lits evaluate --compare REF OTHER...`: each other evaluation report paired case by case with
/// the first (the reference). Per headline metric: the per-case differences (other - reference)
/// over the cases both scored with the metric defined in both, their mean with a bootstrap
/// interval and the Wilcoxon signed-rank p (PairedStatistics); the mean Dice per region of both;
/// and the keys of the training runs' `config.json` that differ.
public struct EvaluationComparison: Sendable {
    /// A per-case metric: its `data/cases.csv` column name, words for the page, its unit and
    /// where it lies in a case of `data/evaluation.json`.
    public struct Metric: Sendable {
        public var column: String, label: String
        public var millimetres: Bool
        var path: [String]
    }

    /// The headline per-case metrics of the evaluation report.
    public static let metrics: [Metric] = [
        Metric(column: "liver_dice", label: "liver Dice", millimetres: false, path: ["liver", "dice"]),
        Metric(column: "lesion_dice", label: "lesion Dice", millimetres: false, path: ["lesion", "dice"]),
        Metric(column: "liver_nsd", label: "liver NSD", millimetres: false, path: ["liver", "nsd"]),
        Metric(column: "lesion_nsd", label: "lesion NSD", millimetres: false, path: ["lesion", "nsd"]),
        Metric(column: "lesion_pq", label: "lesion PQ", millimetres: false, path: ["instances", "pq"]),
        Metric(column: "brats_lesion_dice", label: "BraTS lesion-wise Dice", millimetres: false, path: ["brats", "dice"]),
        Metric(column: "liver_assd_mm", label: "liver ASSD mm", millimetres: true, path: ["liver", "assd"]),
        Metric(column: "lesion_assd_mm", label: "lesion ASSD mm", millimetres: true, path: ["lesion", "assd"]),
        Metric(column: "liver_hd95_mm", label: "liver HD95 mm", millimetres: true, path: ["liver", "hd95"]),
        Metric(column: "lesion_hd95_mm", label: "lesion HD95 mm", millimetres: true, path: ["lesion", "hd95"]),
    ]

    /// One evaluation report as read: its cases' metric values (NaN: not defined), the cases'
    /// status where not scored from their own prediction, its regions' mean Dice and its run.
    public struct Report: Sendable {
        public var path: String
        public var values: [String: [String: Double]]  // case -> column -> value
        public var status: [String: String]            // case -> "missing: reason" (not scored from its own prediction)
        public var regions: [String: (liver: Double?, lesion: Double?)]
        public var run: RunConfig
    }

    /// The training run behind a report's predictions, or why none was found.
    public enum RunConfig: Sendable {
        case found(run: String, config: [String: String])
        case notFound(String)
    }

    /// One metric of one compared report against the reference.
    public struct MetricResult: Sendable {
        public var metric: Metric
        public var cases: [String]
        public var reference: [Double], other: [Double]
        public var stats: PairedStatistics.Summary
        public var differences: [Double] { zip(reference, other).map { $1 - $0 } }
    }

    /// One compared report against the reference.
    public struct Pair: Sendable {
        public var other: Report
        public var common: [String]
        public var onlyReference: [String], onlyOther: [String]
        public var results: [MetricResult]
        /// Keys whose values differ (reference value, other value; nil: absent), or why not known.
        public var configDifferences: Result<[(key: String, reference: String?, other: String?)], ConfigUnknown>
    }

    public struct ConfigUnknown: Error, Sendable { public var reason: String }

    public var reference: Report
    public var pairs: [Pair]

    /// Reads every report (any problem is an error naming the file, before anything is written)
    /// and pairs each other one with the first.
    public static func compute(_ reports: [String]) throws -> EvaluationComparison {
        let read = try reports.map(readReport)
        let reference = read[0]
        return EvaluationComparison(reference: reference, pairs: read.dropFirst().map { pair(reference, $0) })
    }

    static func pair(_ a: Report, _ b: Report) -> Pair {
        let common = Set(a.values.keys).intersection(b.values.keys).sorted(by: caseOrder)
        let results = metrics.map { m -> MetricResult in
            var ids: [String] = [], x: [Double] = [], y: [Double] = []
            for id in common {
                let u = a.values[id]?[m.column] ?? .nan, v = b.values[id]?[m.column] ?? .nan
                guard u.isFinite, v.isFinite else { continue }  // undefined in either: left out of this pair
                ids.append(id); x.append(u); y.append(v)
            }
            return MetricResult(metric: m, cases: ids, reference: x, other: y,
                                stats: PairedStatistics.summary(zip(x, y).map { $1 - $0 }))
        }
        return Pair(other: b, common: common,
                    onlyReference: Set(a.values.keys).subtracting(b.values.keys).sorted(by: caseOrder),
                    onlyOther: Set(b.values.keys).subtracting(a.values.keys).sorted(by: caseOrder),
                    results: results, configDifferences: configDifferences(a.run, b.run))
    }

    /// Case ids in numeric order where both are numbers ("2" before "10").
    static func caseOrder(_ a: String, _ b: String) -> Bool {
        if let x = Int(a), let y = Int(b) { return x < y }
        return a < b
    }

    static func configDifferences(_ a: RunConfig, _ b: RunConfig) -> Result<[(key: String, reference: String?, other: String?)], ConfigUnknown> {
        switch (a, b) {
        case (.notFound(let why), _): return .failure(ConfigUnknown(reason: "reference: " + why))
        case (_, .notFound(let why)): return .failure(ConfigUnknown(reason: why))
        case (.found(_, let x), .found(_, let y)):
            let keys = Set(x.keys).union(y.keys).filter { x[$0] != y[$0] }.sorted()
            return .success(keys.map { ($0, x[$0], y[$0]) })
        }
    }

    // MARK: Reading a report

    static func readReport(_ path: String) throws -> Report {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue else {
            throw LiTSError(.notFound, path: path, "no such folder")
        }
        let file = "\(path)/\(EvaluationReport.casesFile)"
        guard FileManager.default.fileExists(atPath: file) else {
            throw LiTSError(.notFound, path: path, "not an evaluation report (no \(EvaluationReport.casesFile))")
        }
        let cases = try readCases(file)
        var values: [String: [String: Double]] = [:], status: [String: String] = [:], predictions: [String] = []
        for (n, c) in cases.enumerated() {
            guard let id = c["id"] as? String, !id.isEmpty else { throw LiTSError(.corrupt, path: file, "case \(n + 1) has no id") }
            guard values[id] == nil else { throw LiTSError(.corrupt, path: file, "lists case \(id) twice") }
            values[id] = Dictionary(uniqueKeysWithValues: metrics.map { ($0.column, number(c, $0.path)) })
            if let s = c["status"] as? String, s != CaseStatus.scored.rawValue {
                status[id] = s + ((c["reason"] as? String).map { ": " + $0 } ?? "")
            }
            if let p = c["prediction"] as? String, !p.isEmpty { predictions.append(p) }
        }
        guard !values.isEmpty else { throw LiTSError(.corrupt, path: file, "lists no case") }
        return Report(path: path, values: values, status: status, regions: try regionMeans(path), run: findRun(predictions))
    }

    /// The cases of `data/evaluation.json`: a JSON array of objects.
    static func readCases(_ file: String) throws -> [[String: Any]] {
        guard let data = FileManager.default.contents(atPath: file) else { throw LiTSError(.unreadable, path: file, "cannot read the file") }
        let json: Any
        do { json = try JSONSerialization.jsonObject(with: data) } catch {
            throw LiTSError(.corrupt, path: file, "is not valid JSON")
        }
        guard let cases = json as? [[String: Any]] else { throw LiTSError(.corrupt, path: file, "is not a list of cases") }
        return cases
    }

    /// The number at `path` in a case; NaN where it is absent, null, "nan" or not finite (a
    /// metric that is not defined for the case).
    static func number(_ object: [String: Any], _ path: [String]) -> Double {
        var value: Any? = object
        for key in path { value = (value as? [String: Any])?[key] }
        let x: Double
        if let d = value as? Double { x = d } else if let i = value as? Int { x = Double(i) } else { return .nan }
        return x.isFinite ? x : .nan
    }

    /// The run behind a report: the folder of its first recorded prediction holds
    /// `predictions.json` (as `lits predict` writes it) naming the run folder, which holds
    /// `config.json`. Paths are as recorded (relative ones from the current folder).
    static func findRun(_ predictions: [String]) -> RunConfig {
        guard let first = predictions.first else { return .notFound("no run found (the report records no prediction file)") }
        let folder = (first as NSString).deletingLastPathComponent
        let record = "\(folder.isEmpty ? "." : folder)/predictions.json"
        guard let data = FileManager.default.contents(atPath: record) else {
            return .notFound("no run found (\(record) is missing: the predictions are not from `lits predict`, or were moved)")
        }
        guard let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let run = (json["run"] as? [String])?.first ?? json["run"] as? String else {
            return .notFound("no run found (\(record) names no run)")
        }
        let config = "\(run)/config.json"
        guard let configData = FileManager.default.contents(atPath: config),
              let object = try? JSONSerialization.jsonObject(with: configData) else {
            return .notFound("no run found (\(config) is missing or not JSON)")
        }
        var flat: [String: String] = [:]
        flatten(object, prefix: "", into: &flat)
        return .found(run: run, config: flat)
    }

    /// Nested JSON as dotted keys (`augmentation.blur.probability`) and compact JSON values.
    static func flatten(_ value: Any, prefix: String, into out: inout [String: String]) {
        if let object = value as? [String: Any], !object.isEmpty {
            for (k, v) in object { flatten(v, prefix: prefix.isEmpty ? k : "\(prefix).\(k)", into: &out) }
            return
        }
        let key = prefix.isEmpty ? "(config)" : prefix
        if let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed]) {
            out[key] = String(decoding: data, as: UTF8.self)
        } else {
            out[key] = "\(value)"
        }
    }

    // MARK: Regions

    static let regionNames = ["top", "middle", "bottom", "outside"]

    /// Mean liver and lesion Dice per region of a report's `data/regions.csv`. The file must be
    /// the one `lits evaluate` writes: its columns (case, region, liver_dice, lesion_dice and the
    /// voxel counts), a field per column, a known region, Dice in [0, 1] or undefined ("-",
    /// empty, "n/a"), counts as whole numbers; anything else is refused with the line and why
    /// (a comparison of a damaged file would be a page of "-" or of wrong numbers).
    static func regionMeans(_ report: String) throws -> [String: (liver: Double?, lesion: Double?)] {
        let file = "\(report)/data/regions.csv"
        guard FileManager.default.fileExists(atPath: file) else {
            throw LiTSError(.notFound, path: report, "not an evaluation report (no data/regions.csv)")
        }
        guard let data = FileManager.default.contents(atPath: file) else { throw LiTSError(.unreadable, path: file, "cannot read the file") }
        guard let text = String(data: data, encoding: .utf8) else { throw LiTSError(.corrupt, path: file, "is not UTF-8 text") }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let header = lines[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let needed = ["case", "region", "liver_dice", "lesion_dice"]
        guard needed.allSatisfy(header.contains) else {
            throw LiTSError(.corrupt, path: file, "line 1 is not the header of an evaluation's regions table (it needs the columns \(needed.joined(separator: ", ")))")
        }
        var acc: [String: ([Double], [Double])] = [:]
        for (n, line) in lines.enumerated().dropFirst() where !(line.isEmpty && n == lines.count - 1) {
            let (region, liver, lesion) = try regionRow(line, header: header, file: file, line: n + 1)
            acc[region, default: ([], [])].0.append(liver)
            acc[region, default: ([], [])].1.append(lesion)
        }
        guard !acc.isEmpty else { throw LiTSError(.corrupt, path: file, "has no rows (no case was evaluated)") }
        return acc.mapValues { (EvaluationSummary.nanMean($0.0), EvaluationSummary.nanMean($0.1)) }
    }

    /// One row: its region and liver and lesion Dice (NaN where undefined).
    static func regionRow(_ line: String, header: [String], file: String, line n: Int) throws -> (String, Double, Double) {
        let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard fields.count == header.count else { throw LiTSError(.corrupt, path: file, "line \(n) has \(fields.count) fields, expected \(header.count)") }
        let f = Dictionary(uniqueKeysWithValues: zip(header, fields))
        guard let region = f["region"], regionNames.contains(region) else {
            throw LiTSError(.corrupt, path: file, "line \(n): unknown region '\(f["region"] ?? "")' (expected top, middle, bottom or outside)")
        }
        func dice(_ column: String) throws -> Double {
            let s = f[column] ?? ""
            if undefinedText.contains(s.lowercased()) { return .nan }
            guard let x = Double(s), (0...1).contains(x) else {
                throw LiTSError(.corrupt, path: file, "line \(n): \(column) '\(s)' is not a Dice in [0, 1] or undefined")
            }
            return x
        }
        for column in ["liver_fp", "liver_fn", "lesion_fp", "lesion_fn"] {
            if let s = f[column], UInt(s) == nil { throw LiTSError(.corrupt, path: file, "line \(n): \(column) '\(s)' is not a voxel count") }
        }
        return (region, try dice("liver_dice"), try dice("lesion_dice"))
    }

    /// How an evaluation's tables write a value that is not defined.
    static let undefinedText: Set<String> = ["", "-", "n/a", "na", "nan", "null"]
}
