import Foundation
import LiTSCore
import LiTSRender

/// What `lits qa` writes (`data/qa.csv`, `data/qa.json`, `data/qa/ID.json`, `figures/qa-ID.png` (or `.svg`, `.pdf`: `--figures`),
/// `index.md`) and the QA section that opens the EDA report.
public enum QAReport {
    public static let factsFolder = "data/qa"

    /// `data/qa.json`.
    public struct Summary: Codable, Sendable {
        public var cases: Int
        public var errors: Int
        public var warnings: Int
        public var notes: Int
        public var casesWithErrors: [String]
        public var findings: [QAFinding]

        public init(cases: Int, findings: [QAFinding]) {
            self.cases = cases
            self.findings = findings
            errors = findings.filter { $0.severity == .error }.count
            warnings = findings.filter { $0.severity == .warning }.count
            notes = findings.filter { $0.severity == .note }.count
            var seen = Set<String>()
            casesWithErrors = findings.filter { $0.severity == .error }.map(\.caseID).filter { seen.insert($0).inserted }
        }
    }

    /// The evidence tiles of a case's errors and warnings (one per distinct slice), or nil.
    public static func montageTiles(_ findings: [QAFinding]) -> [(QAEvidence, String)] {
        var tiles: [(QAEvidence, String)] = []
        for f in findings where f.severity != .note {
            guard let e = f.evidence else { continue }
            if let n = tiles.firstIndex(where: { $0.0 == e }) { tiles[n].1 += ", " + f.check } else { tiles.append((e, f.check)) }
        }
        return tiles
    }

    /// The evidence montage: each tile labelled with its slice and, as its reason, the checks it
    /// shows. A coronal or sagittal tile of a volume under `CaseMontage.minSlicesForSideViews`
    /// slices (a few pixels high) is shown as an axial tile through the middle instead.
    public static func montage(_ c: LoadedCase, findings: [QAFinding]) -> MontageFigure? {
        let tiles = montageTiles(findings)
        guard !tiles.isEmpty else { return nil }
        let shape = c.ct.shape
        var slices: [(plane: Plane, index: Int, window: [Float], checks: String)] = []
        for (e, checks) in tiles {
            var (plane, index) = (e.plane, e.index)
            if plane != .axial && shape[2] < CaseMontage.minSlicesForSideViews { (plane, index) = (.axial, shape[2] / 2) }
            index = min(max(0, index), shape[plane.normalAxis] - 1)
            // Findings moved onto the same slice and window share its tile.
            if let n = slices.firstIndex(where: { $0.plane == plane && $0.index == index && $0.window == e.window }) {
                slices[n].checks += ", " + checks
            } else {
                slices.append((plane, index, e.window, checks))
            }
        }
        let drawn = slices.map { s in
            MontageTile.slice(c.ct, plane: s.plane, index: s.index, window: (s.window[0], s.window[1]), reason: s.checks,
                              layers: c.labels.map { MontageTile.labelLayers($0, plane: s.plane, index: s.index) } ?? [])
        }
        return MontageFigure(tiles: drawn, columns: 4, legend: MontageFigure.legend(of: drawn))
    }

    /// Saves one case's facts and its evidence montage into a report folder.
    public static func saveCase(_ facts: QACaseFacts, montage: MontageFigure?, in dir: String, format: FigureFormat = .png) throws {
        let folder = ReportFolder(dir)
        if let montage { try folder.writeMontage(montage, name: montageName(facts.id), format: format) }
        try folder.writeJSON(facts, name: "\(factsFolder)/\(facts.id).json")
    }

    /// The files `saveCase` writes for case `id`, removed (a failed case leaves none).
    public static func removeCaseFiles(_ id: String, in dir: String) {
        FigureFiles.remove(montageName(id), in: dir)
        unlink("\(dir)/\(factsFolder)/\(id).json")
    }

    /// `figures/qa-ID`: case `id`'s evidence montage, without its extension (`--figures`).
    public static func montageName(_ id: String) -> String { "figures/qa-\(id)" }

    /// The evidence montage of case `id` in `dir` (relative to it), in whichever format it was written.
    public static func montageFile(_ id: String, in dir: String) -> String? {
        FigureFiles.existing(montageName(id), in: dir)
    }

    /// Every case's facts saved in the given folders (none when there are none).
    public static func loadFacts(from dirs: [String]) throws -> [QACaseFacts] {
        var out: [QACaseFacts] = []
        for dir in dirs {
            let folder = "\(dir)/\(factsFolder)"
            for name in ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
            where name.hasSuffix(".json") && !name.hasPrefix(".") {
                let path = "\(folder)/\(name)"
                do {
                    out.append(try JSONDecoder().decode(QACaseFacts.self, from: Data(contentsOf: URL(fileURLWithPath: path))))
                } catch {
                    throw LiTSError(.corrupt, path: path, "not a LiTSKit QA case result (\(error.localizedDescription))")
                }
            }
        }
        return out.sorted { a, b in
            switch (Int(a.id), Int(b.id)) {
            case let (x?, y?): return x < y
            default: return a.id < b.id
            }
        }
    }

    /// Removes an earlier run's per-case QA files.
    public static func clearCases(in dir: String) {
        let fm = FileManager.default
        for name in (try? fm.contentsOfDirectory(atPath: "\(dir)/\(factsFolder)")) ?? [] where name.hasSuffix(".json") {
            try? fm.removeItem(atPath: "\(dir)/\(factsFolder)/\(name)")
        }
        FigureFiles.removeAll(prefix: "qa-", in: dir)   // every format, so a rerun in another leaves none
    }

    public static func csv(_ findings: [QAFinding]) -> String {
        var t = CSV(header: ["case", "check", "severity", "measured", "expected", "action", "evidence"])
        for f in findings { t.add([f.caseID, f.check, f.severity.rawValue, f.measured, f.expected, f.action, f.evidence?.note ?? ""]) }
        return t.text
    }

    /// The page and dataset-level files of `lits qa` (removed before a rerun writes them anew).
    public static let reportFiles = ["index.md", "data/qa.csv", "data/qa.json"]

    /// `data/qa.csv` and `data/qa.json`.
    public static func writeData(_ summary: Summary, to dir: String) throws {
        let folder = ReportFolder(dir)
        try folder.writeCSV(csv(summary.findings), name: "data/qa.csv")
        try folder.writeJSON(summary, name: "data/qa.json")
    }

    /// The QA section: counts, the findings table (errors and warnings, then notes), and the
    /// evidence montage of every case with an error or a warning.
    public static func section(_ page: inout MarkdownPage, _ summary: Summary, facts: [QACaseFacts], in dir: String, level: Int = 2) {
        page.heading("Quality checks", level: level)
        page.paragraph("`lits qa` checks on \(summary.cases) case(s), every one computed from the data: \(summary.errors) error(s), \(summary.warnings) warning(s), \(summary.notes) note(s)."
                       + (summary.casesWithErrors.isEmpty ? " No case has an error." : " Cases with errors (fix or drop them before training or evaluation): " + summary.casesWithErrors.joined(separator: ", ") + ".")
                       + " All findings are in [data/qa.csv](data/qa.csv) and [data/qa.json](data/qa.json).")
        let header = ["case", "check", "severity", "measured", "expected", "what to do"]
        func row(_ f: QAFinding) -> [String] { [f.caseID, f.check, f.severity.rawValue, f.measured, f.expected, f.action] }
        let serious = summary.findings.filter { $0.severity != .note }
        if serious.isEmpty {
            page.paragraph("No errors and no warnings.")
        } else {
            page.table(header, serious.map(row))
        }
        let notes = summary.findings.filter { $0.severity == .note }
        if !notes.isEmpty {
            page.heading("Notes", level: level + 1)
            page.table(header, notes.map(row))
        }
        let flagged = facts.compactMap { f in montageFile(f.id, in: dir).map { (f.id, $0) } }
        if !flagged.isEmpty {
            page.heading("Evidence", level: level + 1)
            page.paragraph("For each case with an error or a warning, the slice that shows each finding, labels drawn as contours (Okabe-Ito colours, legend in the figure), radiological convention (letters on each tile's edges, scale bar in mm), each tile labelled with its slice and the checks it shows; the window suits the finding. A volume under 10 slices gets axial tiles only.")
            for (id, file) in flagged {
                let tiles = montageTiles(summary.findings.filter { $0.caseID == id })
                page.paragraph("Case \(id): " + tiles.map { "\($0.0.note) (\($0.1), window \(Int($0.0.window[0]))..\(Int($0.0.window[1])) HU)" }.joined(separator: "; ") + ".")
                page.image("QA evidence for case \(id)", path: file)
            }
        }
    }

    /// `lits qa --out DIR`'s page.
    public static func page(_ summary: Summary, facts: [QACaseFacts], in dir: String, title: String) -> MarkdownPage {
        var p = MarkdownPage(title: title)
        section(&p, summary, facts: facts, in: dir)
        p.heading("Checks")
        p.bullets(methods)
        return p
    }

    public static let methods: [String] = [
        "Spacing: body width \(Int(QASpacing.plausibleWidthMM.lowerBound))-\(Int(QASpacing.plausibleWidthMM.upperBound)) mm and depth \(Int(QASpacing.plausibleDepthMM.lowerBound))-\(Int(QASpacing.plausibleDepthMM.upperBound)) mm (median over the slices with at least half the largest body area; warning outside, error 1.5x further; a side cut by the image is not judged small), liver volume \(QASpacing.plausibleLiverL.lowerBound)-\(QASpacing.plausibleLiverL.upperBound) L (error outside \(QASpacing.possibleLiverL.lowerBound)-\(QASpacing.possibleLiverL.upperBound) L), liver craniocaudal extent \(Int(QASpacing.plausibleLiverExtentMM.lowerBound))-\(Int(QASpacing.plausibleLiverExtentMM.upperBound)) mm; the factor is the typical value over the measured one.",
        "Duplicates: identical voxel arrays (64-bit hash of the file's values); near-duplicates: mean HU over \(Int(QAFingerprint.cellMM)) mm cubes, compared over the 48 axis permutations and flips and shifts (poses from 1D profiles, verified by the correlation inside the body, >= \(QADuplicates.nearDuplicateScore) is a warning).",
        "Image and label: affines equal within 1e-3; labelled voxels outside the body (warning > \(QAFormat.pct(QALabels.outsideWarning)), error > \(QAFormat.pct(QALabels.outsideError))); liver voxels at HU < -200 or > 500 (warning > \(QAFormat.pct(QALabels.offTissueWarning)), error > \(QAFormat.pct(QALabels.offTissueError))).",
        "Label anatomy: tumour components (26-connected) touching no liver voxel (error from \(QALabels.isolatedErrorML) mL or \(QAFormat.pct(QALabels.isolatedErrorShare)) of the tumour); liver fragments (warning above \(QAFormat.pct(QALabels.fragmentWarningShare)) of the liver); liver centre more than \(Int(QALabels.leftSideMM)) mm to the patient's left of the body's centre (canonical RAS+, +i to the patient's right); bone (HU > 300) centre more than \(Int(QALabels.boneAnteriorMM)) mm anterior of the body's centre (an anterior-posterior flip, warning); lesions of 1 or 2 voxels (note).",
        "Intensity: HU minimum >= \(Int(QAIntensity.uncalibratedMinHU)) is not calibrated (error); values <= -1500 (padding -2048, -3024) counted (note); liver median HU \(Int(QAIntensity.plausibleLiverHU.lowerBound))-\(Int(QAIntensity.plausibleLiverHU.upperBound)) (warning outside, error outside \(Int(QAIntensity.possibleLiverHU.lowerBound))-\(Int(QAIntensity.possibleLiverHU.upperBound))); phase estimate: native below \(Int(QAIntensity.arterialFromHU)), arterial below \(Int(QAIntensity.portalFromHU)), portal venous above.",
        "Field of view: liver touching an image face (warning); slice spacing above \(Int(QAFieldOfView.maxSliceMM)) mm (note); body reaching the border (note).",
    ]
}
