import Foundation
import LiTSCore

/// A report on disk: `index.md`, `data/` (JSON and CSV), `figures/` (PNG, SVG or PDF: `figures`) and `charts/` (gnuplot
/// data and scripts). Names are relative to the folder (`data/cases.csv`); sub-folders are created
/// as needed and every file is written atomically. A report writer gets the computed results and
/// only writes them through this type.
public struct ReportFolder: Sendable {
    public let path: String
    /// The format its charts are drawn in (`--figures`), and the extension its page links to.
    public let figures: FigureFormat

    public init(_ path: String, figures: FigureFormat = .png) {
        self.path = path
        self.figures = figures
    }

    /// `figures/NAME.EXT` in this report's figure format: what a page links to.
    public func figure(_ name: String) -> String { figures.figurePath(name) }

    /// Pretty printed with sorted keys: the layout of every JSON file LiTSKit writes.
    public static func jsonEncoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return e
    }

    public func url(_ name: String) -> String { "\(path)/\(name)" }

    /// Creates `name` (and the report folder) if missing.
    public func makeFolder(_ name: String) throws {
        try FileManager.default.createDirectory(atPath: url(name), withIntermediateDirectories: true)
    }

    func parentExists(_ name: String) throws {
        let parent = (url(name) as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
    }

    public func writeJSON<T: Encodable>(_ value: T, name: String, encoder: JSONEncoder = ReportFolder.jsonEncoder()) throws {
        try parentExists(name)
        try AtomicFile.write(try encoder.encode(value), to: url(name))
    }

    public func writeCSV(_ text: String, name: String) throws {
        try writeText(text, name: name)
    }

    public func writeText(_ text: String, name: String) throws {
        try parentExists(name)
        try AtomicFile.write(text, to: url(name))
    }

    public func writeData(_ data: Data, name: String) throws {
        try parentExists(name)
        try AtomicFile.write(data, to: url(name))
    }

    public func writePNG(_ image: RGBImage, name: String) throws {
        try parentExists(name)
        try PNG.write(image, to: url(name))
    }

    /// `charts/NAME.dat`, `charts/NAME.gp` and `figures/NAME.EXT` (the report's format).
    public func render(_ chart: GnuplotChart) throws {
        try chart.render(in: path, format: figures)
    }

    public func writePage(_ page: MarkdownPage, name: String = "index.md") throws {
        try parentExists(name)
        try page.write(to: url(name))
    }
}
