import Foundation

/// `lits info`: one case's file geometry, datatype, HU range and label counts, after the full
/// checks a case gets on load (finite HU, segmentation on the volume's grid, labels in {0, 1, 2}).
public struct CaseSummary: Codable, Sendable {
    public var id: String
    public var volume: String
    public var segmentation: String?
    public var shape: [Int]          // as stored in the file
    public var spacing: [Double]     // mm, as stored
    public var orientation: String   // axis codes of the file, e.g. LPS
    public var datatype: String
    public var huMin: Float
    public var huMax: Float
    public var labelCounts: [String: Int]?

    /// Loads the case. The summary shows the file's own geometry, which is what other tools show too.
    public init(reading c: Case) throws {
        let loaded = try CaseLoader.load(c)
        let counts = loaded.labels.map { l -> [String: Int] in
            let n = l.labelCounts()
            return ["background": n[0], "liver": n[1], "tumor": n[2]]
        }
        let (lo, hi) = loaded.ct.minMax() ?? (0, 0)
        let source = loaded.source
        id = c.id
        volume = c.volumePath
        segmentation = c.segmentationPath
        shape = source.grid.shape
        spacing = source.grid.spacing
        orientation = source.grid.axisCodes
        datatype = source.datatypeName
        huMin = lo
        huMax = hi
        labelCounts = counts
    }

    /// Every case under `paths`, `threads` at a time.
    public static func read(_ paths: [String], threads: Int) throws -> (cases: Int, run: CaseRunResult<CaseSummary>) {
        let cases = try Dataset.discover(paths)
        return (cases.count, CaseRunner.run(cases, threads: threads, label: "info") { try CaseSummary(reading: $0) })
    }
}
