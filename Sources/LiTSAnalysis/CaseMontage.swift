import Foundation
import LiTSCore
import LiTSImaging
import LiTSRender

/// The per-case picture: axial slices evenly spaced over the liver in the liver window with the
/// liver contour in green and the tumor contour in red, the slice with the most tumor, and one
/// coronal and one sagittal view through the liver's centre.
public enum CaseMontage {
    public struct Tile: Codable, Equatable, Sendable {
        public var plane: Plane
        public var index: Int
        public var note: String
    }

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
            if best.k >= 0 { tiles.append(Tile(plane: .axial, index: best.k, note: "most tumor k=\(best.k)")) }
            var sum = [0.0, 0.0, 0.0], count = 0.0
            for k in extent.kMin...extent.kMax { for j in 0..<shape[1] { for i in 0..<shape[0] where labels[i, j, k] >= 1 {
                sum[0] += Double(i); sum[1] += Double(j); sum[2] += Double(k); count += 1
            } } }
            if count > 0 { centre = sum.map { Int(($0 / count).rounded()) } }
        }
        tiles.append(Tile(plane: .coronal, index: centre[1], note: "coronal j=\(centre[1])"))
        tiles.append(Tile(plane: .sagittal, index: centre[0], note: "sagittal i=\(centre[0])"))
        return tiles
    }

    public static func render(_ c: LoadedCase, tiles: [Tile], side: Int = 256) -> RGBImage {
        let images = tiles.map {
            SliceRenderer.render(ct: c.ct, labels: c.labels, plane: $0.plane, index: $0.index,
                                 window: (HUWindow.liver.low, HUWindow.liver.high), side: side)
        }
        return Montage.grid(images, columns: 4)
    }
}
