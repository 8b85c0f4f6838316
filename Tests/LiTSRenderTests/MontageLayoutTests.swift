import Foundation
import XCTest
@testable import LiTSCore
import LiTSAnalysis
@testable import LiTSRender

/// The montages drawn with Cairo: the geometry the drawing uses, then pixels of a rendered
/// montage of a known volume, then the vector files.
final class MontageLayoutTests: XCTestCase {
    /// A 40 x 40 x `slices` CT (0 HU, spacing 0.5 x 0.5 x 2.5 mm) with a liver square
    /// (i, j in 10..<30) on every slice and a tumour (i, j in 16..<22) on the middle one.
    static func phantom(slices: Int) -> LoadedCase {
        let grid = Grid(shape: [40, 40, slices], spacing: [0.5, 0.5, 2.5], origin: [0, 0, -10])
        let ct = Volume<Float>(grid: grid, voxels: [Float](repeating: 0, count: grid.count))
        var labels = LabelMap(grid: grid, repeating: 0)
        for k in 0..<slices { for j in 10..<30 { for i in 10..<30 { labels[i, j, k] = 1 } } }
        for j in 16..<22 { for i in 16..<22 { labels[i, j, slices / 2] = 2 } }
        let header = NIfTIHeader(version: 1, dims: [3, 40, 40, slices, 1, 1, 1, 1], datatype: 16, bitpix: 32,
                                 pixdim: [1, 0.5, 0.5, 2.5, 0, 0, 0, 0], voxOffset: 352, sclSlope: 1, sclInter: 0, bigEndian: false)
        return LoadedCase(info: Case(id: "1", volumePath: "phantom", segmentationPath: "phantom-seg", layout: .lits), ct: ct, labels: labels,
                          source: NIfTISource(path: "phantom", header: header, grid: grid, sformCode: 1, qformCode: 1),
                          reorientation: Reorientation(sourceGrid: grid))
    }

    static func tile(width: Int, height: Int, spacing: [Double], title: String = "t", reason: String? = nil) -> MontageTile {
        MontageTile(width: width, height: height, gray: [UInt8](repeating: 100, count: width * height), spacing: spacing,
                    title: title, reason: reason, edges: Plane.axial.edgeLetters)
    }

    func testTilesOfOneMontageShareOneHeightAndKeepSquareMillimetres() {
        let f = MontageFigure(tiles: [Self.tile(width: 100, height: 50, spacing: [1, 1]),
                                      Self.tile(width: 100, height: 10, spacing: [1, 5]),
                                      Self.tile(width: 40, height: 80, spacing: [0.5, 0.5])], columns: 2, tileHeight: 200)
        let l = MontageLayout(f)
        XCTAssertEqual(l.tiles.map(\.image.height), [200, 200, 200])
        XCTAssertEqual(l.tiles[0].image.width, 400, accuracy: 1e-9, "100 mm by 50 mm at 200 px high")
        XCTAssertEqual(l.tiles[1].image.width, 400, accuracy: 1e-9, "the 5 mm rows are stretched, not squeezed")
        XCTAssertEqual(l.tiles[2].image.width, 100, accuracy: 1e-9)
        for t in l.tiles { XCTAssertEqual(t.pixelsPerMM * 100 * 1, t.pixelsPerMM * 100, "square mm") }
        // Tile 2 starts the second row, under tile 0, and nothing overlaps.
        XCTAssertGreaterThan(l.tiles[2].image.y, l.tiles[0].image.maxY)
        XCTAssertGreaterThan(l.tiles[1].image.x, l.tiles[0].image.maxX)
        XCTAssertLessThanOrEqual(l.tiles.map(\.image.maxX).max()!, l.width)
        XCTAssertLessThanOrEqual(l.tiles.map(\.image.maxY).max()!, l.height)
    }

    func testScaleBarIsTheLongestRoundLengthInAQuarterOfTheTile() {
        // 200 px of 0.5 mm = 100 mm shown 256 px high: 2.56 px per mm; a quarter is 64 px, so 20 mm (51.2 px).
        let l = MontageLayout(MontageFigure(tiles: [Self.tile(width: 200, height: 200, spacing: [0.5, 0.5])], columns: 1))
        let t = l.tiles[0]
        XCTAssertEqual(t.pixelsPerMM, 2.56, accuracy: 1e-9)
        XCTAssertEqual(t.scaleBarMM, 20)
        XCTAssertEqual(t.scaleBar.width, 51.2, accuracy: 1e-9)
        XCTAssertEqual(t.scaleLabel.text, "20 mm")
        // Bottom left, inside the image, label over the bar.
        XCTAssertGreaterThan(t.scaleBar.x, t.image.x)
        XCTAssertLessThan(t.scaleBar.maxX, t.image.x + t.image.width / 2)
        XCTAssertLessThan(t.scaleBar.maxY, t.image.maxY)
        XCTAssertGreaterThan(t.scaleBar.y, t.image.y + t.image.height * 0.9)
        XCTAssertLessThan(t.scaleLabel.y, t.scaleBar.y)
    }

    func testLabelsLettersAndLegendArePlacedWhereTheyBelong() {
        let long = "label anatomy: liver on the left, orientation: spine anterior"
        var tiles = (0..<4).map { Self.tile(width: 50, height: 50, spacing: [1, 1], title: "axial k=\($0)", reason: $0 == 1 ? long : nil) }
        tiles[0].layers = [.liver([Bool](repeating: true, count: 2500))]
        let f = MontageFigure(tiles: tiles, columns: 2, tileHeight: 100, rowLabels: ["none", "clahe"],
                              columnLabels: ["k=0", "k=1"], legend: MontageFigure.legend(of: tiles))
        let l = MontageLayout(f)
        for (t, g) in zip(tiles, l.tiles) {
            let b = g.image
            // Label, then reason, above the image.
            XCTAssertEqual(g.captions.map(\.text), [t.title] + (t.reason.map { [$0] } ?? []))
            for c in g.captions { XCTAssertLessThan(c.y, b.y); XCTAssertEqual(c.x, b.x) }
            // R on the left edge, L on the right, A at the top, P at the bottom, all inside.
            for c in g.captions { XCTAssertLessThanOrEqual(c.x + CairoText.width(c.text, size: c.size, bold: false), l.width, "caption inside the figure") }
            XCTAssertEqual(g.letters.map(\.text), ["R", "L", "A", "P"])
            for letter in g.letters { XCTAssertTrue(letter.x >= b.x && letter.x < b.maxX && letter.y > b.y && letter.y <= b.maxY) }
            XCTAssertLessThan(g.letters[0].x, b.x + b.width / 4)
            XCTAssertGreaterThan(g.letters[1].x, b.x + b.width * 3 / 4)
            XCTAssertLessThan(g.letters[2].y, b.y + b.height / 4)
            XCTAssertGreaterThan(g.letters[3].y, b.y + b.height * 3 / 4)
        }
        // Row labels left of their row's images, at its height; column labels above the columns.
        XCTAssertEqual(l.rowLabels.map(\.text), ["none", "clahe"])
        for (r, label) in l.rowLabels.enumerated() {
            let row = l.tiles[2 * r].image
            XCTAssertLessThan(label.x, row.x)
            XCTAssertTrue(label.y > row.y && label.y < row.maxY)
        }
        for (c, label) in l.columnLabels.enumerated() {
            XCTAssertLessThan(label.y, l.tiles[c].captions[0].y)
            XCTAssertTrue(label.x >= l.tiles[c].image.x - 20 && label.x < l.tiles[c].image.maxX)
        }
        // The legend under every tile.
        XCTAssertEqual(l.legend.map(\.entry.name), ["liver"])
        XCTAssertGreaterThan(l.legend[0].swatch.y, l.tiles.map(\.image.maxY).max()!)
        XCTAssertLessThanOrEqual(l.legend[0].swatch.maxY, l.height)
    }

    func testOrientationLettersFollowTheRadiologicalConvention() {
        XCTAssertEqual(Plane.axial.edgeLetters, ["R", "L", "A", "P"])
        XCTAssertEqual(Plane.coronal.edgeLetters, ["R", "L", "S", "I"])
        XCTAssertEqual(Plane.sagittal.edgeLetters, ["A", "P", "S", "I"])
        let grid = Grid(shape: [4, 4, 5], spacing: [1, 1, 2.5], origin: [0, 0, -10])
        XCTAssertEqual(MontageTile.label(grid, plane: .axial, index: 3), "axial k=3, z=-2.5 mm")
    }

    func testThreeSliceVolumeGetsAxialTilesOnly() {
        let thin = CaseMontage.tiles(for: Self.phantom(slices: 3))
        XCTAssertFalse(thin.isEmpty)
        XCTAssertEqual(Set(thin.map(\.plane)), [.axial], "a coronal or sagittal tile of 3 slices would be a line")
        XCTAssertEqual(thin.last?.reason, "most tumour")
        let thick = CaseMontage.tiles(for: Self.phantom(slices: 12))
        XCTAssertEqual(thick.suffix(2).map(\.plane), [.coronal, .sagittal])
    }

    func testRenderedMontageHasOkabeItoContoursTranslucentFillsAndLegend() throws {
        let c = Self.phantom(slices: 12)
        let figure = CaseMontage.render(c, tiles: CaseMontage.tiles(for: c))
        let layout = MontageLayout(figure)
        let image = figure.rasterize()
        XCTAssertEqual(image.width, Int(layout.width))
        XCTAssertEqual(image.height, Int(layout.height))
        // The liver's outline: the square's left edge at i = 29 shown on the image's left side
        // (radiological: column x = 39 - i), at least 2 px wide, in bluish green.
        let tile = layout.tiles[0].image
        let scale = tile.width / 40
        let row = Int(tile.y + tile.height / 2)
        let edgeX = tile.x + 10 * scale
        let green = (Int(edgeX) - 3...Int(edgeX) + 3).filter { image[$0, row] == OkabeIto.bluishGreen }
        XCTAssertGreaterThanOrEqual(green.count, 2, "contour 2 px or wider")
        XCTAssertEqual(image[Int(tile.x + 20 * scale), row], RGB(51, 51, 51), "0 HU in the liver window inside the contour")
        // The tumour contour on the most-tumour tile.
        let tumourTile = layout.tiles[figure.tiles.firstIndex { $0.reason == "most tumour" }!].image
        let ty = Int(tumourTile.y + 19 * scale)
        XCTAssertTrue((Int(tumourTile.x + 17 * scale)...Int(tumourTile.x + 19 * scale)).contains { image[$0, ty] == OkabeIto.vermillion })
        // The legend's swatch outlines in the palette.
        XCTAssertEqual(layout.legend.map(\.entry.name), ["liver", "tumour"])
        let s = layout.legend[1].swatch
        XCTAssertEqual(image[Int(s.x + 1.5), Int(s.y + s.height / 2)], OkabeIto.vermillion)

        // A false-positive fill blends with the anatomy (neither the grey nor the colour).
        let fp = [Bool](repeating: true, count: 16)
        var t = MontageTile(width: 4, height: 4, gray: [UInt8](repeating: 100, count: 16), spacing: [1, 1],
                            layers: [.falsePositive(fp)], title: "", edges: Plane.axial.edgeLetters)
        t.title = ""
        let f = MontageFigure(tiles: [t], columns: 1, tileHeight: 64)
        let g = MontageLayout(f).tiles[0].image
        let p = f.rasterize()[Int(g.x + 40), Int(g.y + 20)]
        let a = 0.45, v = OkabeIto.vermillion
        XCTAssertEqual(Double(p.r), Double(v.r) * a + 100 * (1 - a), accuracy: 2)
        XCTAssertEqual(Double(p.g), Double(v.g) * a + 100 * (1 - a), accuracy: 2)
        XCTAssertEqual(Double(p.b), Double(v.b) * a + 100 * (1 - a), accuracy: 2)
    }

    func testWritesPNGSVGAndPDF() throws {
        let dir = NSTemporaryDirectory() + "litskit-montage-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let c = Self.phantom(slices: 12)
        let figure = CaseMontage.render(c, tiles: CaseMontage.tiles(for: c))
        let folder = ReportFolder(dir)
        let heads: [FigureFormat: [UInt8]] = [.png: [0x89, 0x50, 0x4E, 0x47], .svg: Array("<?xml".utf8), .pdf: Array("%PDF-".utf8)]
        for format in FigureFormat.allCases {
            let name = try folder.writeMontage(figure, name: "figures/case-1", format: format)
            XCTAssertEqual(name, "figures/case-1.\(format.rawValue)")
            let data = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/\(name)"))
            XCTAssertEqual(Array(data.prefix(heads[format]!.count)), heads[format]!, format.rawValue)
        }
        let svg = try String(contentsOfFile: "\(dir)/figures/case-1.svg", encoding: .utf8)
        XCTAssertTrue(svg.contains("<svg") && svg.hasSuffix("</svg>\n"), "a complete SVG")
        let pdf = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/figures/case-1.pdf"))
        XCTAssertTrue(String(decoding: pdf.suffix(8), as: UTF8.self).contains("%%EOF"), "a complete PDF")
        XCTAssertEqual(try PNG.read(path: "\(dir)/figures/case-1.png"), figure.rasterize())
        // Only the three figures: no temporary left behind.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: "\(dir)/figures").sorted(),
                       ["case-1.pdf", "case-1.png", "case-1.svg"])
    }
}
