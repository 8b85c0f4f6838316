import Foundation
import LiTSCore

/// Tiles laid out in a grid on a dark background.
public enum Montage {
    public static func grid(_ tiles: [RGBImage], columns: Int, padding: Int = 4,
                            background: RGB = RGB(24, 24, 24)) -> RGBImage {
        guard !tiles.isEmpty else { return RGBImage(width: 1, height: 1, fill: background) }
        let cols = max(1, min(columns, tiles.count))
        let rows = (tiles.count + cols - 1) / cols
        let cellW = tiles.map(\.width).max()!, cellH = tiles.map(\.height).max()!
        var out = RGBImage(width: cols * cellW + (cols + 1) * padding, height: rows * cellH + (rows + 1) * padding, fill: background)
        for (n, tile) in tiles.enumerated() {
            let (r, c) = (n / cols, n % cols)
            let x = padding + c * (cellW + padding) + (cellW - tile.width) / 2
            let y = padding + r * (cellH + padding) + (cellH - tile.height) / 2
            out.draw(tile, atX: x, y: y)
        }
        return out
    }
}

/// One rendered slice: CT through a window with liver (green) and tumor (red) contours, square
/// pixels from the spacing.
public enum SliceRenderer {
    /// The image is scaled so its longer side is `side` pixels (nil: native size, enlarged to 256).
    public static func render(ct: Volume<Float>, labels: LabelMap?, plane: Plane, index: Int,
                              window: (low: Float, high: Float), side: Int? = nil) -> RGBImage {
        let view = SliceView(ct, plane: plane, index: index)
        var (w, h) = view.displaySize(minSide: 256)
        if let side {
            let scale = Double(side) / Double(max(w, h))
            (w, h) = (max(1, Int((Double(w) * scale).rounded())), max(1, Int((Double(h) * scale).rounded())))
        }
        var image = view.gray(low: window.low, high: window.high).resized(width: w, height: h)
        if let labels {
            let lv = SliceView(labels, plane: plane, index: index)
            for (label, color) in [(UInt8(1), RGB.liverGreen), (UInt8(2), RGB.tumorRed)] {
                // Liver contour includes the tumor (LiTS convention: liver = label >= 1).
                let mask = lv.values.map { label == 1 ? $0 >= 1 : $0 == label }
                guard mask.contains(true) else { continue }
                let big = Overlay.resize(mask, width: lv.width, height: lv.height, toWidth: w, height: h)
                Overlay.drawContour(on: &image, mask: big, color: color)
            }
        }
        return image
    }
}

extension ReportFolder {
    /// Writes `figure` as `NAME.EXT` (`name` relative to the folder, without the extension), in
    /// `format`, atomically; returns the file's name relative to the folder.
    @discardableResult
    public func writeMontage(_ figure: MontageFigure, name: String, format: FigureFormat = .png) throws -> String {
        let file = "\(name).\(format.fileExtension)"
        try parentExists(file)
        try figure.write(to: url(file), format: format)
        return file
    }
}
