import Foundation
import LiTSImaging

/// 6-connected components of a mask numbered as `scipy.ndimage.label` (default structure) numbers
/// them on the array nibabel reads: in the order of each component's first voxel in C order of
/// the (i, j, k) array, that is with k varying fastest (our `ConnectedComponents` numbers by
/// NIfTI order, i fastest; the numbers are remapped). Also per component: voxels and bounding box.
public struct LiTSLesionComponents: Sendable {
    public let shape: [Int]
    /// Per voxel (NIfTI order), 0 = background.
    public let labels: [Int32]
    public let count: Int
    /// Index = component number; index 0 unused.
    public let sizes: [Int]
    public let boxLo: [[Int]], boxHi: [[Int]]

    public init(shape: [Int], mask: [Bool]) {
        let c = ConnectedComponents.label(shape: shape, mask: mask, connectivity: .six)
        let (nx, ny, nz) = (shape[0], shape[1], shape.count > 2 ? shape[2] : 1)
        self.shape = shape
        count = c.count
        // The first voxel of each component in scipy's order: the smallest k + nz * (j + ny * i).
        var first = [Int](repeating: .max, count: c.count + 1)
        c.labels.withUnsafeBufferPointer { l in
            for k in 0..<nz { for j in 0..<ny { for i in 0..<nx {
                let v = Int(l[i + nx * (j + ny * k)])
                if v != 0 { first[v] = min(first[v], k + nz * (j + ny * i)) }
            } } }
        }
        let order = (0..<c.count).map { $0 + 1 }.sorted { first[$0] < first[$1] }
        var renumber = [Int32](repeating: 0, count: c.count + 1)
        for (n, old) in order.enumerated() { renumber[old] = Int32(n + 1) }
        var sizes = [Int](repeating: 0, count: c.count + 1)
        var lo = [[Int]](repeating: [Int.max, Int.max, Int.max], count: c.count + 1)
        var hi = [[Int]](repeating: [-1, -1, -1], count: c.count + 1)
        var labels = c.labels
        labels.withUnsafeMutableBufferPointer { l in
            for k in 0..<nz { for j in 0..<ny { for i in 0..<nx {
                let n = i + nx * (j + ny * k)
                guard l[n] != 0 else { continue }
                let v = renumber[Int(l[n])]
                l[n] = v
                let m = Int(v)
                sizes[m] += 1
                if i < lo[m][0] { lo[m][0] = i }; if i > hi[m][0] { hi[m][0] = i }
                if j < lo[m][1] { lo[m][1] = j }; if j > hi[m][1] { hi[m][1] = j }
                if k < lo[m][2] { lo[m][2] = k }; if k > hi[m][2] { hi[m][2] = k }
            } } }
        }
        self.labels = labels
        self.sizes = sizes
        boxLo = lo
        boxHi = hi
    }

    /// For each component of `self` (predictions) the components of `other` (reference) it
    /// overlaps, with voxel counts.
    public func intersections(with other: LiTSLesionComponents) -> [Int: [Int: Int]] {
        var out: [Int: [Int: Int]] = [:]
        for n in 0..<labels.count where labels[n] != 0 && other.labels[n] != 0 {
            out[Int(labels[n]), default: [:]][Int(other.labels[n]), default: 0] += 1
        }
        return out
    }

    /// The mask of the components in `numbers` inside the box lo...hi (inclusive, NIfTI order).
    public func mask(of numbers: Set<Int>, lo: [Int], hi: [Int]) -> [Bool] {
        let (nx, ny) = (shape[0], shape[1])
        var member = [Bool](repeating: false, count: count + 1)
        for n in numbers { member[n] = true }
        var out: [Bool] = []
        out.reserveCapacity((hi[0] - lo[0] + 1) * (hi[1] - lo[1] + 1) * (hi[2] - lo[2] + 1))
        for k in lo[2]...hi[2] { for j in lo[1]...hi[1] { for i in lo[0]...hi[0] {
            out.append(member[Int(labels[i + nx * (j + ny * k)])])
        } } }
        return out
    }
}
