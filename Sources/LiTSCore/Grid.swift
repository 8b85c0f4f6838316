import Foundation

/// A 4x4 matrix, row-major, mapping voxel indices (i, j, k, 1) to world millimetres (x, y, z, 1)
/// in NIfTI's RAS+ world: +x towards the patient's right, +y anterior, +z superior.
public struct Affine: Equatable, Sendable, Codable {
    /// Row-major 4x4 values.
    public var m: [Double]

    public init(rows: [[Double]]) {
        precondition(rows.count == 4 && rows.allSatisfy { $0.count == 4 }, "affine must be 4x4")
        m = rows.flatMap { $0 }
    }

    public init(rowMajor: [Double]) {
        precondition(rowMajor.count == 16, "affine must have 16 values")
        m = rowMajor
    }

    public static let identity = Affine(rowMajor: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1])

    /// Diagonal affine with the given spacing and origin.
    public static func diagonal(spacing: [Double], origin: [Double] = [0, 0, 0]) -> Affine {
        Affine(rowMajor: [spacing[0], 0, 0, origin[0],
                          0, spacing[1], 0, origin[1],
                          0, 0, spacing[2], origin[2],
                          0, 0, 0, 1])
    }

    public subscript(row: Int, col: Int) -> Double {
        get { m[row * 4 + col] }
        set { m[row * 4 + col] = newValue }
    }

    public var rows: [[Double]] { (0..<4).map { r in (0..<4).map { self[r, $0] } } }

    public static func * (a: Affine, b: Affine) -> Affine {
        var out = [Double](repeating: 0, count: 16)
        for r in 0..<4 {
            for c in 0..<4 {
                var s = 0.0
                for k in 0..<4 { s += a[r, k] * b[k, c] }
                out[r * 4 + c] = s
            }
        }
        return Affine(rowMajor: out)
    }

    /// World coordinates (mm) of a voxel position.
    public func apply(_ p: (Double, Double, Double)) -> (Double, Double, Double) {
        (self[0, 0] * p.0 + self[0, 1] * p.1 + self[0, 2] * p.2 + self[0, 3],
         self[1, 0] * p.0 + self[1, 1] * p.1 + self[1, 2] * p.2 + self[1, 3],
         self[2, 0] * p.0 + self[2, 1] * p.1 + self[2, 2] * p.2 + self[2, 3])
    }

    /// Length of each voxel axis in mm (the column norms of the 3x3 part), as nibabel's zooms.
    public var columnNorms: [Double] {
        (0..<3).map { c in (0..<3).reduce(0.0) { $0 + self[$1, c] * self[$1, c] }.squareRoot() }
    }

    /// Which world axis (0 = x, 1 = y, 2 = z) and direction each voxel axis points to,
    /// chosen as nibabel's `io_orientation`: the closest orthogonal matrix to the direction
    /// cosines, then a greedy pick of the largest entry per voxel axis.
    public var orientation: [(axis: Int, flip: Bool)] {
        var rs = [[Double]](repeating: [0, 0, 0], count: 3)
        let norms = columnNorms
        for r in 0..<3 { for c in 0..<3 { rs[r][c] = self[r, c] / (norms[c] == 0 ? 1 : norms[c]) } }
        var q = Affine.closestOrthogonal(rs)
        var result: [(axis: Int, flip: Bool)] = []
        var used = Set<Int>()
        for inAxis in 0..<3 {
            var best = -1
            var bestValue = 0.0
            for outAxis in 0..<3 where abs(q[outAxis][inAxis]) > bestValue {
                best = outAxis
                bestValue = abs(q[outAxis][inAxis])
            }
            if best < 0 {  // degenerate column: give it the first free world axis
                best = (0..<3).first { !used.contains($0) } ?? inAxis
                result.append((best, false))
            } else {
                result.append((best, q[best][inAxis] < 0))
                for c in 0..<3 { q[best][c] = 0 }
            }
            used.insert(best)
        }
        return result
    }

    /// Orientation letters like nibabel's `aff2axcodes`: R/L, A/P, S/I for where each voxel axis points.
    public var axisCodes: String {
        let positive: [Character] = ["R", "A", "S"]
        let negative: [Character] = ["L", "P", "I"]
        return String(orientation.map { $0.flip ? negative[$0.axis] : positive[$0.axis] })
    }

    /// Polar decomposition by Newton iteration Q <- (Q + Q^-T) / 2, which converges to the
    /// orthogonal factor U V^T of the SVD that nibabel uses.
    static func closestOrthogonal(_ a: [[Double]]) -> [[Double]] {
        var q = a
        for _ in 0..<100 {
            guard let invT = inverse3(q).map(transpose3) else { return a }
            var next = q
            var change = 0.0
            for r in 0..<3 {
                for c in 0..<3 {
                    next[r][c] = 0.5 * (q[r][c] + invT[r][c])
                    change = max(change, abs(next[r][c] - q[r][c]))
                }
            }
            q = next
            if change < 1e-14 { break }
        }
        return q
    }

    static func transpose3(_ a: [[Double]]) -> [[Double]] {
        (0..<3).map { r in (0..<3).map { a[$0][r] } }
    }

    static func inverse3(_ a: [[Double]]) -> [[Double]]? {
        let det = a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1])
            - a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0])
            + a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0])
        guard abs(det) > 1e-12 else { return nil }
        var inv = [[Double]](repeating: [0, 0, 0], count: 3)
        for r in 0..<3 {
            for c in 0..<3 {
                let r1 = (c + 1) % 3, r2 = (c + 2) % 3, c1 = (r + 1) % 3, c2 = (r + 2) % 3
                inv[r][c] = (a[r1][c1] * a[r2][c2] - a[r1][c2] * a[r2][c1]) / det
            }
        }
        return inv
    }

    /// Inverse of the affine (world to voxel), or nil when it is singular.
    public var inverse: Affine? {
        let a3 = (0..<3).map { r in (0..<3).map { self[r, $0] } }
        guard let inv = Affine.inverse3(a3) else { return nil }
        var out = Affine.identity
        for r in 0..<3 {
            for c in 0..<3 { out[r, c] = inv[r][c] }
            out[r, 3] = -(0..<3).reduce(0.0) { $0 + inv[r][$1] * self[$1, 3] }
        }
        return out
    }
}

/// The geometry of a volume: shape in voxels, spacing in mm and the voxel-to-world affine.
public struct Grid: Equatable, Sendable {
    /// (nx, ny, nz); voxel order is NIfTI's, index = i + nx * (j + ny * k).
    public var shape: [Int]
    /// Voxel size in mm along i, j, k (the affine's column norms, or pixdim when there is none).
    public var spacing: [Double]
    public var affine: Affine

    public init(shape: [Int], spacing: [Double], affine: Affine) {
        precondition(shape.count == 3 && spacing.count == 3, "grids are 3D")
        self.shape = shape
        self.spacing = spacing
        self.affine = affine
    }

    /// A grid whose affine is diagonal (RAS+) with the given spacing.
    public init(shape: [Int], spacing: [Double], origin: [Double] = [0, 0, 0]) {
        self.init(shape: shape, spacing: spacing, affine: .diagonal(spacing: spacing, origin: origin))
    }

    public var count: Int { shape[0] * shape[1] * shape[2] }
    public var axisCodes: String { affine.axisCodes }
    public var voxelVolumeML: Double { spacing[0] * spacing[1] * spacing[2] / 1000 }

    @inline(__always) public func index(_ i: Int, _ j: Int, _ k: Int) -> Int {
        i + shape[0] * (j + shape[1] * k)
    }

    /// Same shape (and affine, within a small tolerance): a segmentation must sit on its volume's grid.
    public func matches(_ other: Grid, tolerance: Double = 1e-3) -> Bool {
        shape == other.shape && zip(affine.m, other.affine.m).allSatisfy { abs($0 - $1) <= tolerance * max(1, abs($0)) }
    }
}
