import Foundation
import XCTest
@testable import LiTSAnalysis
@testable import LiTSRender

/// Charts that cannot mislead: a panel without data says so and is still drawn, 131 cases are a
/// histogram and not 131 bars, all-zero bars say "all zero", epoch ticks are whole numbers, and
/// each figure format gets its own gnuplot terminal and file.
final class ChartTests: XCTestCase {
    private func tempReport() throws -> String {
        let dir = NSTemporaryDirectory() + "litskit-charts-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        return dir
    }

    private func text(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    private func header(_ path: String, _ count: Int) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: path)).prefix(count))
    }

    func testNoDataChartIsDrawnWithItsReason() throws {
        let dir = try tempReport()
        try ReportFolder(dir).render(.noData(name: "empty", title: "Nothing", reason: "no lesion in the labels"))
        XCTAssertEqual(try header(dir + "/figures/empty.png", 4), [0x89, 0x50, 0x4E, 0x47])
        XCTAssertTrue(try text(dir + "/charts/empty.gp").contains("'no data: no lesion in the labels'"))
    }

    /// Before: a tumour-free dataset plotted one all-zero row as lesions; now every lesion chart
    /// is a "no data" panel, and gnuplot draws each of them.
    func testLesionChartsWithoutLesionsSayNoData() throws {
        let dir = try tempReport()
        let summary = DatasetSummary([])
        for chart in [EDACharts.lesionSizes(summary), EDACharts.lesionsPerRegion(summary), EDACharts.lesion3D([]), EDACharts.tumorBurden([])] {
            XCTAssertTrue(chart.script.contains("no data: "), chart.name)
            try ReportFolder(dir).render(chart)
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(dir)/figures/\(chart.name).png"), chart.name)
        }
    }

    func testTumourBurdenOf131CasesIsAHistogramWithItsMean() throws {
        let cases = (0..<131).map { (id: String($0), burden: Double($0 % 17) / 100) }
        let chart = EDACharts.tumorBurden(withLiver: cases)
        XCTAssertFalse(chart.script.contains("xtic(2)"), "one bar per case")
        XCTAssertTrue(chart.script.contains("with boxes"))
        XCTAssertTrue(chart.script.contains("n = 131 cases"))
        XCTAssertTrue(chart.script.contains("mean "))
        let rows = chart.data.split(separator: "\n").filter { !$0.hasPrefix("#") }
        XCTAssertEqual(rows.count, 20, "20 bins, not 131 bars")
        XCTAssertEqual(rows.map { Int($0.split(separator: " ")[1])! }.reduce(0, +), 131)
        try ReportFolder(try tempReport()).render(chart)

        let few = EDACharts.tumorBurden(withLiver: Array(cases.prefix(12)))
        XCTAssertTrue(few.script.contains("xtic(2)"), "a bar per case up to 30 cases")
    }

    func testAllZeroBarsSayAllZero() throws {
        let chart = EDACharts.tumorBurden(withLiver: (1...4).map { (id: String($0), burden: 0.0) })
        XCTAssertTrue(chart.script.contains("'all zero'"))
        try ReportFolder(try tempReport()).render(chart)
        XCTAssertFalse(EDACharts.tumorBurden(withLiver: [(id: "1", burden: 0.1)]).script.contains("all zero"))
    }

    func testIntegerTicks() {
        XCTAssertEqual(GnuplotChart.integerTicks(upTo: 3), ["set xrange [0.5:3.5]", "set xtics 1", "set mxtics 1", "set format x '%.0f'"])
        XCTAssertTrue(GnuplotChart.integerTicks(upTo: 40).contains("set xtics 5"))
        XCTAssertTrue(GnuplotChart.integerTicks(upTo: 1).contains("set xtics 1"))
    }

    /// Each format: its terminal in the script, its file with its magic bytes, the other
    /// formats' figure of the chart removed (a rerun in another format leaves one figure).
    func testEachFormatWritesItsOwnFile() throws {
        let dir = try tempReport()
        let chart = GnuplotChart(name: "line", data: "1 1\n2 4\n", commands: ["plot datafile using 1:2 with lines notitle"])
        let magic: [FigureFormat: [UInt8]] = [.png: [0x89, 0x50, 0x4E, 0x47], .svg: Array("<?xml".utf8), .pdf: Array("%PDF".utf8)]
        let terminal: [FigureFormat: String] = [.png: "set terminal pngcairo", .svg: "set terminal svg", .pdf: "set terminal pdfcairo"]
        for format in FigureFormat.allCases {
            try ReportFolder(dir, figures: format).render(chart)
            XCTAssertEqual(try header("\(dir)/figures/line.\(format.fileExtension)", magic[format]!.count), magic[format]!)
            XCTAssertTrue(try text(dir + "/charts/line.gp").contains(terminal[format]!))
            XCTAssertTrue(try text(dir + "/charts/line.gp").contains("'../figures/line.\(format.fileExtension)'"))
            for other in FigureFormat.allCases where other != format {
                XCTAssertFalse(FileManager.default.fileExists(atPath: "\(dir)/figures/line.\(other.fileExtension)"))
            }
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir + "/figures").filter { $0.hasPrefix(".") }, [])
        }
    }
}
