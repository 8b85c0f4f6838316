import Foundation
import LiTSCore

/// The patient's body in a CT volume.
public enum BodyMask {
    /// The documented rule: the largest 26-connected component of HU > -500 (the patient, without
    /// the air around them or the table, which is usually a separate component), with the holes of
    /// each axial slice filled so the air inside the patient (lungs, bowel gas) counts.
    public static let rule = "largest 26-connected component of HU > -500, holes filled slice by slice (air inside the patient included)"
    public static let threshold: Float = -500

    public static func compute(_ ct: Volume<Float>) -> [Bool] {
        let mask: [Bool] = HugePages.array(count: ct.count) { out in
            ct.voxels.withUnsafeBufferPointer { v in
                let chunk = (v.count + 1) / 2
                Parallel.perform(iterations: 2) { part in
                    for i in (part * chunk)..<min(v.count, (part + 1) * chunk) { out[i] = v[i] > threshold }
                }
            }
        }
        let cc = ConnectedComponents.label(shape: ct.shape, mask: mask, connectivity: .twentySix)
        guard cc.count > 1 else { return HoleFilling.fillAxialHoles(shape: ct.shape, mask: mask) }
        var sizes = [Int](repeating: 0, count: cc.count + 1)
        cc.labels.withUnsafeBufferPointer { for l in $0 { sizes[Int(l)] += 1 } }
        sizes[0] = 0
        let largest = Int32(sizes.indices.max { sizes[$0] < sizes[$1] }!)
        let body: [Bool] = HugePages.array(count: cc.labels.count) { out in
            cc.labels.withUnsafeBufferPointer { l in
                let chunk = (l.count + 1) / 2
                Parallel.perform(iterations: 2) { part in
                    for i in (part * chunk)..<min(l.count, (part + 1) * chunk) { out[i] = l[i] == largest }
                }
            }
        }
        return HoleFilling.fillAxialHoles(shape: ct.shape, mask: body)
    }
}

extension BodyMask {
    /// The bounding box of the body on `ct`'s grid (nnU-Net crops to the non-zero region; CT has
    /// air, not zeros, around the patient), or nil when no voxel is body.
    public static func box(_ ct: Volume<Float>) -> VoxelBox? {
        VoxelBox(mask: compute(ct), shape: ct.shape)
    }
}

/// A box of voxels on a grid: `lo` and `hi` are inclusive voxel indices (i, j, k).
public struct VoxelBox: Codable, Equatable, Sendable {
    public var lo: [Int]
    public var hi: [Int]

    public init(lo: [Int], hi: [Int]) {
        self.lo = lo
        self.hi = hi
    }

    /// The box around every voxel where `mask` is true (i fastest, on a grid of `shape`), or nil
    /// when none is.
    public init?(mask: [Bool], shape: [Int]) {
        let (nx, ny, nz) = (shape[0], shape[1], shape[2])
        var lo = [Int.max, Int.max, Int.max], hi = [-1, -1, -1]
        // Row by row (a full-resolution CT has some 10^8 voxels): each row's first and last voxel.
        mask.withUnsafeBufferPointer { m in
            for k in 0..<nz { for j in 0..<ny {
                let row = nx * (j + ny * k)
                var first = -1, last = -1
                for i in 0..<nx where m[row + i] {
                    if first < 0 { first = i }
                    last = i
                }
                guard first >= 0 else { continue }
                lo[0] = min(lo[0], first); hi[0] = max(hi[0], last)
                lo[1] = min(lo[1], j); hi[1] = max(hi[1], j)
                lo[2] = min(lo[2], k); hi[2] = max(hi[2], k)
            } }
        }
        guard hi[0] >= 0 else { return nil }
        self.lo = lo
        self.hi = hi
    }

    public var shape: [Int] { (0..<3).map { hi[$0] - lo[$0] + 1 } }

    /// A reason when the box does not lie on a grid of `shape` (a manifest read back), or nil.
    public func problem(on shape: [Int]) -> String? {
        guard lo.count == 3, hi.count == 3 else { return "box must have three lower and three upper indices" }
        for a in 0..<3 where !(0 <= lo[a] && lo[a] <= hi[a] && hi[a] < shape[a]) {
            return "box \(lo)...\(hi) does not lie on the grid \(shape)"
        }
        return nil
    }

    /// The box's own grid inside `grid`: its shape, and an affine that keeps every voxel's world position.
    public func grid(in grid: Grid) -> Grid {
        var shift = Affine.identity
        for a in 0..<3 { shift[a, 3] = Double(lo[a]) }
        return Grid(shape: shape, spacing: grid.spacing, affine: grid.affine * shift)
    }

    /// The part of `v` inside the box.
    public func crop<T: Sendable>(_ v: Volume<T>) -> Volume<T> {
        let s = shape, (nx, ny) = (v.shape[0], v.shape[1])
        var out: [T] = []
        out.reserveCapacity(s[0] * s[1] * s[2])
        for k in lo[2]...hi[2] { for j in lo[1]...hi[1] {
            let row = nx * (j + ny * k)
            out.append(contentsOf: v.voxels[(row + lo[0])...(row + hi[0])])
        } }
        return Volume(grid: grid(in: v.grid), voxels: out)
    }

    /// `v` (on the box) written into a volume on `grid`, `fill` outside the box.
    public func paste<T: Sendable>(_ v: Volume<T>, into grid: Grid, fill: T) -> Volume<T> {
        let s = shape, (nx, ny) = (grid.shape[0], grid.shape[1])
        precondition(v.shape == s, "a \(v.shape) volume does not fit the box \(s)")
        var out = [T](repeating: fill, count: grid.count)
        for k in 0..<s[2] { for j in 0..<s[1] {
            let row = nx * (j + lo[1] + ny * (k + lo[2])) + lo[0]
            let src = s[0] * (j + s[1] * k)
            for i in 0..<s[0] { out[row + i] = v.voxels[src + i] }
        } }
        return Volume(grid: grid, voxels: out)
    }
}
