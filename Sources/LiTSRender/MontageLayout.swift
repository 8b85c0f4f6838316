import Foundation

/// Where everything of a `MontageFigure` goes, in pixels (points in SVG and PDF), origin top left.
/// Computed apart from the drawing so that tests can check the geometry itself.
public struct MontageLayout: Equatable, Sendable {
    public struct Box: Equatable, Sendable {
        public var x, y, width, height: Double
        public var maxX: Double { x + width }
        public var maxY: Double { y + height }
    }

    /// A text and the left end of its baseline.
    public struct Text: Equatable, Sendable {
        public var text: String
        public var x, y: Double
        public var size: Double
        public var bold = false
    }

    public struct Tile: Equatable, Sendable {
        /// Where the slice's image goes; every tile of a figure has the same height.
        public var image: Box
        /// The slice's label and the reason it was chosen, above the image.
        public var captions: [Text]
        /// Orientation letters at the left, right, top and bottom edges, inside the image.
        public var letters: [Text]
        /// The scale bar (bottom left, inside the image), its length in mm and its label.
        public var scaleBar: Box
        public var scaleBarMM: Double
        public var scaleLabel: Text
        /// Image pixels per mm (the same along both axes: pixels are square millimetres).
        public var pixelsPerMM: Double
    }

    public struct LegendItem: Equatable, Sendable {
        public var entry: MontageLegendEntry
        public var swatch: Box
        public var label: Text
    }

    public var width: Double
    public var height: Double
    public var tiles: [Tile]
    public var rowLabels: [Text]
    public var columnLabels: [Text]
    public var legend: [LegendItem]

    // Sizes of the figure's parts.
    static let margin = 10.0, gap = 10.0, fontSize = 12.0, letterSize = 13.0, lineHeight = 15.0
    static let scaleBarThickness = 4.0, inset = 6.0, swatch = 14.0
    /// Scale bar lengths to choose from: the longest that fits in a quarter of the tile's width.
    static let scaleBarChoicesMM: [Double] = [1, 2, 5, 10, 20, 50, 100, 200, 500]

    public init(_ f: MontageFigure, measure: (String, Double, Bool) -> Double = CairoText.width) {
        let m = Self.margin, gap = Self.gap, h = f.tileHeight
        let rows = (f.tiles.count + f.columns - 1) / f.columns
        let cols = min(f.columns, max(1, f.tiles.count))
        // Image widths keep square millimetres at the common height.
        let widths = f.tiles.map { t in h * Double(t.width) * t.spacing[0] / (Double(t.height) * t.spacing[1]) }
        let captionLines = f.tiles.map { ($0.title.isEmpty ? 0 : 1) + ($0.reason == nil ? 0 : 1) }.max() ?? 0
        let captionHeight = Double(captionLines) * Self.lineHeight + (captionLines > 0 ? 3 : 0)
        let rowLabelWidth = f.rowLabels.isEmpty ? 0 : f.rowLabels.map { measure($0, Self.fontSize, true) }.max()! + gap
        let columnLabelHeight = f.columnLabels.isEmpty ? 0 : Self.lineHeight + 4
        // A column is as wide as its widest image, caption or column label.
        var columnWidth = [Double](repeating: 1, count: cols)
        for (n, t) in f.tiles.enumerated() {
            let texts = [t.title, t.reason ?? ""].map { measure($0, Self.fontSize, false) }
            columnWidth[n % cols] = max(columnWidth[n % cols], widths[n], texts.max()!)
        }
        for (c, label) in f.columnLabels.prefix(cols).enumerated() {
            columnWidth[c] = max(columnWidth[c], measure(label, Self.fontSize, true))
        }
        var columnX = [m + rowLabelWidth]
        for c in 1..<max(2, cols) { columnX.append(columnX[c - 1] + columnWidth[c - 1] + gap) }
        let rowY = (0..<max(1, rows)).map { m + columnLabelHeight + Double($0) * (captionHeight + h + gap) }

        tiles = f.tiles.enumerated().map { n, t in
            let (r, c) = (n / cols, n % cols)
            // Under its captions, left-aligned with them (they may be wider); without, centred.
            let shift = captionLines > 0 ? 0 : (columnWidth[c] - widths[n]) / 2
            let image = Box(x: columnX[c] + shift, y: rowY[r] + captionHeight, width: widths[n], height: h)
            return Self.tile(t, image: image, captionTop: rowY[r], measure: measure)
        }
        rowLabels = f.rowLabels.prefix(rows).enumerated().map { r, text in
            Text(text: text, x: m, y: rowY[r] + captionHeight + h / 2 + Self.fontSize / 3, size: Self.fontSize, bold: true)
        }
        // Column labels centred over the column's first image, inside the column.
        let firstRow = tiles
        columnLabels = f.columnLabels.prefix(min(cols, f.tiles.count)).enumerated().map { c, text in
            let w = measure(text, Self.fontSize, true), image = firstRow[c].image
            let x = min(max(columnX[c], image.x + (image.width - w) / 2), columnX[c] + columnWidth[c] - w)
            return Text(text: text, x: x, y: m + Self.fontSize, size: Self.fontSize, bold: true)
        }
        let gridRight = columnX[cols - 1] + columnWidth[cols - 1]
        let gridBottom = rowY[max(1, rows) - 1] + captionHeight + h
        // The legend: one line under the grid, swatch then name.
        var x = m, items: [LegendItem] = []
        let legendY = gridBottom + gap
        for e in f.legend {
            let swatch = Box(x: x, y: legendY, width: Self.swatch, height: Self.swatch)
            let label = Text(text: e.name, x: x + Self.swatch + 5, y: legendY + Self.swatch - 3, size: Self.fontSize)
            items.append(LegendItem(entry: e, swatch: swatch, label: label))
            x = label.x + measure(e.name, Self.fontSize, false) + 16
        }
        legend = items
        width = (max(gridRight, x - 16) + m).rounded(.up)
        height = ((items.isEmpty ? gridBottom : legendY + Self.swatch) + m).rounded(.up)
    }

    static func tile(_ t: MontageTile, image b: Box, captionTop: Double, measure: (String, Double, Bool) -> Double) -> Tile {
        var captions: [Text] = []
        for line in [t.title, t.reason ?? ""] where !line.isEmpty {
            captions.append(Text(text: line, x: b.x, y: captionTop + Self.lineHeight * Double(captions.count + 1) - 3, size: Self.fontSize))
        }
        let s = Self.letterSize, i = Self.inset
        func letter(_ n: Int) -> Text {
            let w = measure(t.edges[n], s, true)
            let (x, y): (Double, Double) = [
                (b.x + i, b.y + b.height / 2 + s / 3), (b.maxX - i - w, b.y + b.height / 2 + s / 3),
                (b.x + (b.width - w) / 2, b.y + i + s * 0.75), (b.x + (b.width - w) / 2, b.maxY - i),
            ][n]
            return Text(text: t.edges[n], x: x, y: y, size: s, bold: true)
        }
        let perMM = b.height / (Double(t.height) * t.spacing[1])
        let mm = Self.scaleBarChoicesMM.last { $0 * perMM <= b.width / 4 } ?? Self.scaleBarChoicesMM[0]
        // Without a scale bar: an empty box and label, and 0 mm.
        let shown = t.showsScaleBar ? mm : 0
        let bar = Box(x: b.x + i + 2, y: b.maxY - i - Self.scaleBarThickness, width: shown * perMM, height: t.showsScaleBar ? Self.scaleBarThickness : 0)
        let label = Text(text: t.showsScaleBar ? "\(Int(mm)) mm" : "", x: bar.x, y: bar.y - 4, size: Self.fontSize - 1, bold: true)
        return Tile(image: b, captions: captions, letters: (0..<4).map(letter), scaleBar: bar, scaleBarMM: shown,
                    scaleLabel: label, pixelsPerMM: perMM)
    }
}
