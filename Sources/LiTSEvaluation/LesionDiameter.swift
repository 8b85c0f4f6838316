import Foundation

/// The longest in-plane (axial) diameter of a set of voxels, as a radiologist measures a lesion
/// (RECIST's long axis): on each axial slice the largest distance between two voxel centres
/// of the set, in mm; the largest over slices. A single voxel has diameter 0.
public enum LesionDiameter {
    /// `indices` are flat NIfTI voxel indices (`i + nx * (j + ny * k)`) of a volume with `shape`.
    public static func longestInPlane(_ indices: [Int], shape: [Int], spacing: [Double]) -> Double {
        let nx = shape[0], plane = shape[0] * shape[1]
        var bySlice: [Int: [(Double, Double)]] = [:]
        for n in indices {
            let k = n / plane, r = n % plane
            bySlice[k, default: []].append((Double(r % nx) * spacing[0], Double(r / nx) * spacing[1]))
        }
        var longest = 0.0
        for points in bySlice.values {
            // The farthest pair lies on the convex hull, which is small even for large lesions.
            let hull = convexHull(points)
            for a in 0..<hull.count {
                for b in (a + 1)..<hull.count {
                    let dx = hull[a].0 - hull[b].0, dy = hull[a].1 - hull[b].1
                    longest = max(longest, (dx * dx + dy * dy).squareRoot())
                }
            }
        }
        return longest
    }

    /// Andrew's monotone chain; collinear points are dropped.
    static func convexHull(_ points: [(Double, Double)]) -> [(Double, Double)] {
        let p = points.sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
        guard p.count > 2 else { return p }
        func cross(_ o: (Double, Double), _ a: (Double, Double), _ b: (Double, Double)) -> Double {
            (a.0 - o.0) * (b.1 - o.1) - (a.1 - o.1) * (b.0 - o.0)
        }
        var lower: [(Double, Double)] = [], upper: [(Double, Double)] = []
        for q in p {
            while lower.count >= 2 && cross(lower[lower.count - 2], lower[lower.count - 1], q) <= 0 { lower.removeLast() }
            lower.append(q)
        }
        for q in p.reversed() {
            while upper.count >= 2 && cross(upper[upper.count - 2], upper[upper.count - 1], q) <= 0 { upper.removeLast() }
            upper.append(q)
        }
        return Array(lower.dropLast() + upper.dropLast())
    }
}
