import Foundation
import LiTSImaging

/// 2D measurements on the pixels of one cross-section.
enum PlaneGeometry {
    /// Longest distance between pixel centres of the region, plus one pixel, in mm: the RECIST
    /// long axis measured on the voxel grid.
    static func longestDiameter(pixels: [(Int, Int)], spacing: (Double, Double)) -> Double {
        guard !pixels.isEmpty else { return 0 }
        let points = pixels.map { (Double($0.0) * spacing.0, Double($0.1) * spacing.1) }
        return FarthestPair.distance(points) + (spacing.0 + spacing.1) / 2
    }
}
