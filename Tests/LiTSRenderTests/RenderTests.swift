import Foundation
import XCTest
import LiTSCore
@testable import LiTSRender

final class PNGTests: XCTestCase {
    func testRoundTripThroughLibpng() throws {
        let dir = NSTemporaryDirectory() + "litskit-png-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var image = RGBImage(width: 7, height: 5)
        for y in 0..<5 { for x in 0..<7 { image[x, y] = RGB(UInt8(x * 30), UInt8(y * 50), UInt8((x + y) * 10)) } }
        try PNG.write(image, to: dir + "/a.png")
        let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/a.png"))
        XCTAssertEqual(Array(data.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        XCTAssertEqual(try PNG.read(path: dir + "/a.png"), image)
        XCTAssertThrowsError(try PNG.read(path: dir + "/missing.png"))
    }
}

final class SliceViewTests: XCTestCase {
    /// A canonical volume whose value encodes its voxel: 100 * i + 10 * j + k.
    func coded() -> Volume<Float> {
        var v = Volume<Float>(grid: Grid(shape: [4, 3, 2], spacing: [1, 2, 5]), repeating: 0)
        for k in 0..<2 { for j in 0..<3 { for i in 0..<4 { v[i, j, k] = Float(100 * i + 10 * j + k) } } }
        return v
    }

    func testRadiologicalConvention() {
        let v = coded()
        let axial = SliceView(v, plane: .axial, index: 1)
        XCTAssertEqual(axial.width, 4); XCTAssertEqual(axial.height, 3)
        // Top-left pixel: patient's right (max i) and anterior (max j).
        XCTAssertEqual(axial.values[0], 100 * 3 + 10 * 2 + 1)
        XCTAssertEqual(axial.values.last, 1)  // bottom-right: i = 0, j = 0
        let coronal = SliceView(v, plane: .coronal, index: 2)
        XCTAssertEqual(coronal.values[0], 100 * 3 + 10 * 2 + 1, "superior (max k) at the top")
        XCTAssertEqual(coronal.pixelSpacing.y, 5)
        let sagittal = SliceView(v, plane: .sagittal, index: 0)
        XCTAssertEqual(sagittal.values[0], 10 * 2 + 1, "anterior on the left, superior on top")
        XCTAssertEqual(sagittal.width, 3)
    }

    func testDisplaySizeGivesSquareMillimetres() {
        let v = coded()
        let coronal = SliceView(v, plane: .coronal, index: 0)  // 4 px of 1 mm by 2 px of 5 mm
        let (w, h) = coronal.displaySize(minSide: 1)
        XCTAssertEqual(w, 4); XCTAssertEqual(h, 10)
    }

    func testContourIsTheRegionsOutline() {
        var image = RGBImage(width: 5, height: 5)
        var mask = [Bool](repeating: false, count: 25)
        for y in 1...3 { for x in 1...3 { mask[x + 5 * y] = true } }
        Overlay.drawContour(on: &image, mask: mask, color: .tumorRed)
        XCTAssertEqual(image[2, 2], .black, "interior untouched")
        XCTAssertEqual(image[1, 1], .tumorRed)
        XCTAssertEqual(image[3, 2], .tumorRed)
        XCTAssertEqual(image[0, 0], .black, "outside untouched")
    }

    func testMontageLayout() {
        let tiles = (0..<5).map { RGBImage(width: 10, height: 8, fill: RGB(UInt8($0 * 40), 0, 0)) }
        let m = Montage.grid(tiles, columns: 3, padding: 2)
        XCTAssertEqual(m.width, 3 * 10 + 4 * 2)
        XCTAssertEqual(m.height, 2 * 8 + 3 * 2)
        XCTAssertEqual(m[2 + 12 + 1, 2 + 10 + 2], RGB(160, 0, 0), "tile 4 sits in row 1, column 1")
    }
}

final class GnuplotTests: XCTestCase {
    func testChartWritesDataScriptAndPNG() throws {
        let dir = NSTemporaryDirectory() + "litskit-gp-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let chart = GnuplotChart(name: "squares",
                                 data: GnuplotChart.table(["x", "y"], (0..<10).map { [Double($0), Double($0 * $0)] }),
                                 commands: ["set xlabel 'x'", "plot datafile using 1:2 with linespoints title 'x^2'"])
        try chart.render(in: dir)
        let png = try PNG.read(path: dir + "/figures/squares.png")
        XCTAssertEqual(png.width, 900)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/charts/squares.gp"))
        XCTAssertTrue(try String(contentsOfFile: dir + "/charts/squares.dat", encoding: .utf8).contains("9 81"))

        let broken = GnuplotChart(name: "broken", data: "1 2\n", commands: ["plot datafile using 1:2 with nonsense"])
        do {
            try broken.render(in: dir)
            XCTFail("gnuplot should fail")
        } catch let e as LiTSError {
            XCTAssertTrue(e.description.contains("gnuplot failed"), e.description)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/figures/broken.png"))
    }

    func testQuoteDoublesQuotesAndFlattensLineBreaks() {
        XCTAssertEqual(GnuplotChart.quote("plain title"), "'plain title'")
        XCTAssertEqual(GnuplotChart.quote("it's"), "'it''s'")
        XCTAssertEqual(GnuplotChart.quote("';system('id');'"), "''';system(''id'');'''")
        XCTAssertEqual(GnuplotChart.quote("a\nb\r\nc"), "'a b  c'")
        XCTAssertEqual(GnuplotChart.quote("tab\tend\u{2028}x"), "'tab end x'")
        XCTAssertEqual(GnuplotChart.quote(#"back\slash "double" $(x) `y`"#), #"'back\slash "double" $(x) `y`'"#)
        XCTAssertEqual(GnuplotChart.quote(""), "''")
        XCTAssertEqual(GnuplotChart.quote("Größe µm"), "'Größe µm'")
    }

    /// A title full of quotes, a newline and gnuplot/shell syntax, in a folder named like the
    /// injection of issue 13: the chart renders, its title is one literal string, nothing runs.
    func testHostileTitleInAHostileFolderStillRenders() throws {
        let base = NSTemporaryDirectory() + "litskit-gp-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: base) }
        let dir = base + "/';system('touch PWNED');'q\"\\x\n$(touch PWNED)"
        let title = "it's \"x\" \\n back\\slash\nnext line ';system('touch PWNED');' $(touch PWNED)"
        let chart = GnuplotChart(name: "hostile", data: GnuplotChart.table(["x", "y"], [[0, 1], [1, 2]]),
                                 commands: ["set title \(GnuplotChart.quote(title))",
                                            "plot datafile using 1:2 with lines title \(GnuplotChart.quote(title))"])
        XCTAssertEqual(chart.script.split(separator: "\n").count, 9, "the title adds no line")
        try chart.render(in: dir)
        XCTAssertEqual(try PNG.read(path: dir + "/figures/hostile.png").width, 900)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir + "/charts").sorted(), ["hostile.dat", "hostile.gp"])
        let everything = (FileManager.default.enumerator(atPath: base)?.allObjects as? [String] ?? [])
            + (try FileManager.default.contentsOfDirectory(atPath: FileManager.default.currentDirectoryPath))
        XCTAssertEqual(everything.filter { ($0 as NSString).lastPathComponent.hasPrefix("PWNED") }, [])
    }

    /// An unescaped title would end the string and make gnuplot fail: the escaping is what renders.
    func testUnescapedQuoteBreaksTheScript() throws {
        let dir = NSTemporaryDirectory() + "litskit-gp-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let raw = GnuplotChart(name: "raw", data: "0 1\n1 2\n", commands: ["set title 'it's'", "plot datafile using 1:2 with lines"])
        XCTAssertThrowsError(try raw.render(in: dir))
        let quoted = GnuplotChart(name: "quoted", data: "0 1\n1 2\n", commands: ["set title \(GnuplotChart.quote("it's"))", "plot datafile using 1:2 with lines"])
        try quoted.render(in: dir)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/figures/quoted.png"))
    }

    func testReportFolderWritesSortedPrettyJSONAndCreatesFolders() throws {
        let dir = NSTemporaryDirectory() + "litskit-rf-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let folder = ReportFolder(dir)
        try folder.writeJSON(["b": 1, "a": 2], name: "data/x.json")
        XCTAssertEqual(try String(contentsOfFile: dir + "/data/x.json", encoding: .utf8), "{\n  \"a\" : 2,\n  \"b\" : 1\n}")
        try folder.writeCSV("a,b\n", name: "data/sub/t.csv")
        try folder.writePNG(RGBImage(width: 2, height: 2), name: "figures/p.png")
        var page = MarkdownPage(title: "two\nlines")
        page.paragraph("x")
        try folder.writePage(page)
        XCTAssertEqual(try String(contentsOfFile: dir + "/index.md", encoding: .utf8), "# two lines\n\nx\n")
        XCTAssertEqual(try PNG.read(path: dir + "/figures/p.png").width, 2)
    }
}
