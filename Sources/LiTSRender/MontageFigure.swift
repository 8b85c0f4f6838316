import Foundation
import LiTSCore

/// The Okabe-Ito palette (Okabe and Ito 2008): eight colours told apart with every common form of
/// colour blindness. Every montage draws its contours and fills in these.
public enum OkabeIto {
    public static let orange = RGB(230, 159, 0)
    public static let skyBlue = RGB(86, 180, 233)
    public static let bluishGreen = RGB(0, 158, 115)
    public static let yellow = RGB(240, 228, 66)
    public static let blue = RGB(0, 114, 178)
    public static let vermillion = RGB(213, 94, 0)
    public static let reddishPurple = RGB(204, 121, 167)
}

/// One thing drawn over the CT of a tile: a mask's outline or its translucent fill, named as the
/// figure's legend names it.
public struct MontageLayer: Codable, Equatable, Sendable {
    public enum Style: String, Codable, Sendable { case contour, fill }
    public var name: String
    public var style: Style
    public var color: RGB
    /// Opacity of a fill (contours are opaque).
    public var alpha: Double
    /// One byte per pixel of the slice (non-zero = inside), row-major like `SliceView`.
    public var mask: Data

    public init(name: String, style: Style, color: RGB, alpha: Double = 1, mask: [Bool]) {
        (self.name, self.style, self.color, self.alpha) = (name, style, color, alpha)
        self.mask = Data(mask.map { $0 ? 1 : 0 })
    }

    public var legend: MontageLegendEntry { MontageLegendEntry(name: name, style: style, color: color, alpha: alpha) }

    // The figure's standard layers, so every montage uses the same colour for the same thing.
    public static func liver(_ mask: [Bool]) -> MontageLayer { MontageLayer(name: "liver", style: .contour, color: OkabeIto.bluishGreen, mask: mask) }
    public static func tumour(_ mask: [Bool]) -> MontageLayer { MontageLayer(name: "tumour", style: .contour, color: OkabeIto.vermillion, mask: mask) }
    public static func truth(_ mask: [Bool]) -> MontageLayer { MontageLayer(name: "truth liver", style: .contour, color: OkabeIto.bluishGreen, mask: mask) }
    public static func prediction(_ mask: [Bool]) -> MontageLayer { MontageLayer(name: "predicted liver", style: .contour, color: OkabeIto.yellow, mask: mask) }
    public static func falsePositive(_ mask: [Bool]) -> MontageLayer { MontageLayer(name: "false positive", style: .fill, color: OkabeIto.vermillion, alpha: 0.45, mask: mask) }
    public static func falseNegative(_ mask: [Bool]) -> MontageLayer { MontageLayer(name: "false negative", style: .fill, color: OkabeIto.skyBlue, alpha: 0.45, mask: mask) }
}

public struct MontageLegendEntry: Codable, Equatable, Sendable {
    public var name: String
    public var style: MontageLayer.Style
    public var color: RGB
    public var alpha: Double
}

/// One tile: a CT slice through a window (grey levels, native pixels with their spacing), the
/// layers over it, its label and the reason it was chosen, and the patient directions at its edges.
public struct MontageTile: Codable, Equatable, Sendable {
    public var width: Int
    public var height: Int
    /// Grey levels 0...255, one byte per pixel, row-major, top row first.
    public var gray: Data
    /// Size of one pixel in mm along x (columns) and y (rows).
    public var spacing: [Double]
    public var layers: [MontageLayer]
    /// First line over the tile ("axial k=45, z=112.5 mm"); empty: none.
    public var title: String
    /// Second line: why this slice was chosen ("most tumour"), or nil.
    public var reason: String?
    /// Patient directions at the left, right, top and bottom edges ("R", "L", "A", "P"); "" for none.
    public var edges: [String]
    /// False where the pixels no longer have a known size in mm (an augmented patch that was
    /// scaled or deformed): the tile then gets no scale bar.
    public var showsScaleBar = true

    public init(width: Int, height: Int, gray: [UInt8], spacing: [Double], layers: [MontageLayer] = [],
                title: String, reason: String? = nil, edges: [String]) {
        precondition(gray.count == width * height && spacing.count == 2 && edges.count == 4, "tile does not match its size")
        (self.width, self.height, self.gray, self.spacing) = (width, height, Data(gray), spacing)
        (self.layers, self.title, self.reason, self.edges) = (layers, title, reason, edges)
    }

    /// A slice of a canonical (RAS+) volume through `window`, labelled with its plane, index and
    /// position in mm; `layers` get the slice's label view to make their masks from.
    public static func slice(_ ct: Volume<Float>, plane: Plane, index: Int, window: (low: Float, high: Float),
                             reason: String? = nil, title: Bool = true, layers: [MontageLayer] = []) -> MontageTile {
        let view = SliceView(ct, plane: plane, index: index)
        let scale = 255 / (window.high - window.low)
        let gray = view.values.map { UInt8(max(0, min(255, (($0 - window.low) * scale).rounded()))) }
        return MontageTile(width: view.width, height: view.height, gray: gray, spacing: [view.pixelSpacing.x, view.pixelSpacing.y],
                           layers: layers, title: title ? label(ct.grid, plane: plane, index: index) : "",
                           reason: reason, edges: plane.edgeLetters)
    }

    /// "axial k=45, z=112.5 mm": the slice index and the world position (RAS+, mm) of the
    /// slice's centre along the plane's normal.
    public static func label(_ grid: Grid, plane: Plane, index: Int) -> String {
        let axis = plane.normalAxis
        var voxel = grid.shape.map { Double($0 - 1) / 2 }
        voxel[axis] = Double(index)
        let mm = (0..<3).reduce(grid.affine[axis, 3]) { $0 + grid.affine[axis, $1] * voxel[$1] }
        let (letter, coordinate) = [("i", "x"), ("j", "y"), ("k", "z")][axis]
        return "\(plane.rawValue) \(letter)=\(index), \(coordinate)=\(String(format: "%.1f", mm)) mm"
    }

    /// The liver (label >= 1, LiTS convention) and tumour (label 2) contours of a slice.
    public static func labelLayers(_ labels: LabelMap, plane: Plane, index: Int) -> [MontageLayer] {
        let view = SliceView(labels, plane: plane, index: index)
        return [.liver(view.values.map { $0 >= 1 }), .tumour(view.values.map { $0 == 2 })]
    }
}

/// A montage: tiles in a grid (all drawn at one height), optional row and column labels, and a
/// legend of the layers. Drawn by Cairo into PNG, SVG or PDF (`write(to:format:)`).
public struct MontageFigure: Codable, Equatable, Sendable {
    public var tiles: [MontageTile]
    public var columns: Int
    /// Height of every tile's image in pixels (points in SVG and PDF).
    public var tileHeight: Double
    public var rowLabels: [String]
    public var columnLabels: [String]
    public var legend: [MontageLegendEntry]

    public init(tiles: [MontageTile], columns: Int, tileHeight: Double = 256, rowLabels: [String] = [],
                columnLabels: [String] = [], legend: [MontageLegendEntry] = []) {
        (self.tiles, self.columns, self.tileHeight) = (tiles, max(1, columns), tileHeight)
        (self.rowLabels, self.columnLabels, self.legend) = (rowLabels, columnLabels, legend)
    }

    /// The legend of every layer in the tiles, first seen first, each name once.
    public static func legend(of tiles: [MontageTile]) -> [MontageLegendEntry] {
        var seen = Set<String>()
        return tiles.flatMap(\.layers).filter { seen.insert($0.name).inserted }.map(\.legend)
    }
}

extension Plane {
    /// The voxel axis the plane is perpendicular to (i, j, k).
    public var normalAxis: Int { self == .axial ? 2 : self == .coronal ? 1 : 0 }

    /// Patient directions at the left, right, top and bottom edges of a `SliceView` (radiological
    /// convention: the patient's right on the image's left; sagittal views have anterior on the left).
    public var edgeLetters: [String] {
        switch self {
        case .axial: return ["R", "L", "A", "P"]
        case .coronal: return ["R", "L", "S", "I"]
        case .sagittal: return ["A", "P", "S", "I"]
        }
    }
}
