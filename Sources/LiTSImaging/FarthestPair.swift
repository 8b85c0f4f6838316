import Foundation

/// The largest distance between two points of a plane (a lesion's long axis on a slice): the
/// farthest pair lies on the convex hull, which stays small even for large regions.
public enum FarthestPair {
    public static func distance(_ points: [(Double, Double)]) -> Double {
        let hull = convexHull(points)
        var best = 0.0
        for a in 0..<hull.count {
            for b in (a + 1)..<max(a + 1, hull.count) {
                let dx = hull[a].0 - hull[b].0, dy = hull[a].1 - hull[b].1
                best = max(best, dx * dx + dy * dy)
            }
        }
        return best.squareRoot()
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
