import Foundation
import LiTSCore
import LiTSImaging
import LiTSRender

/// The per-case picture: axial slices evenly spaced over the liver in the liver window with the
/// liver and tumour contours (Okabe-Ito bluish green and vermillion), the slice with the most
/// tumour, and one coronal and one sagittal view through the liver's centre (only for volumes of
/// at least `minSlicesForSideViews` slices: thinner ones would be a few pixels high).
public enum CaseMontage {
    public struct Tile: Codable, Equatable, Sendable {
        public var plane: Plane
        public var index: Int
        public var note: String
        /// Why the tile was chosen, drawn under its label ("most tumour"), or nil.
        public var reason: String? = nil
    }

    /// Fewer axial slices than this: no coronal or sagittal tile.
    public static let minSlicesForSideViews = 10

    public static func tiles(for c: LoadedCase, axialCount: Int = 8) -> [Tile] {
        let shape = c.ct.shape
        var tiles: [Tile] = []
        let extent = c.labels.flatMap { LiverExtent(labels: $0) } ?? LiverExtent(kMin: 0, kMax: shape[2] - 1)
        let n = min(axialCount, extent.slices)
        var seen = Set<Int>()
        for t in 0..<n {
            // Centres of n equal parts of the extent, top (superior) first as a reader scans down.
            let k = extent.kMax - Int((Double(t) + 0.5) * Double(extent.slices) / Double(n))
            if seen.insert(k).inserted { tiles.append(Tile(plane: .axial, index: k, note: "axial k=\(k)")) }
        }
        var centre = shape.map { $0 / 2 }
        if let labels = c.labels {
            let plane = shape[0] * shape[1]
            var best = (k: -1, count: 0)
            for k in 0..<shape[2] {
                let count = labels.voxels[(k * plane)..<((k + 1) * plane)].reduce(0) { $0 + ($1 == 2 ? 1 : 0) }
                if count > best.count { best = (k, count) }
            }
            if best.k >= 0 { tiles.append(Tile(plane: .axial, index: best.k, note: "most tumour k=\(best.k)", reason: "most tumour")) }
            var sum = [0.0, 0.0, 0.0], count = 0.0
            for k in extent.kMin...extent.kMax { for j in 0..<shape[1] { for i in 0..<shape[0] where labels[i, j, k] >= 1 {
                sum[0] += Double(i); sum[1] += Double(j); sum[2] += Double(k); count += 1
            } } }
            if count > 0 { centre = sum.map { Int(($0 / count).rounded()) } }
        }
        guard shape[2] >= minSlicesForSideViews else { return tiles }
        tiles.append(Tile(plane: .coronal, index: centre[1], note: "coronal j=\(centre[1])", reason: "liver centre"))
        tiles.append(Tile(plane: .sagittal, index: centre[0], note: "sagittal i=\(centre[0])", reason: "liver centre"))
        return tiles
    }

    /// The tiles drawn in the liver window, four to a row, with a legend of the contours.
    public static func render(_ c: LoadedCase, tiles: [Tile], side: Int = 256) -> MontageFigure {
        let drawn = tiles.map { t in
            MontageTile.slice(c.ct, plane: t.plane, index: t.index, window: (HUWindow.liver.low, HUWindow.liver.high), reason: t.reason,
                              layers: c.labels.map { MontageTile.labelLayers($0, plane: t.plane, index: t.index) } ?? [])
        }
        return MontageFigure(tiles: drawn, columns: 4, tileHeight: Double(side), legend: MontageFigure.legend(of: drawn))
    }
}
