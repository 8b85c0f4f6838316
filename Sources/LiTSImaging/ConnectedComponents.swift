import Foundation
import LiTSCore
#if canImport(Glibc)
import Glibc
#endif

/// Which neighbours touch: faces only (6), faces and edges (18), or faces, edges and corners (26).
public enum Connectivity: Int, Sendable, CaseIterable, Codable {
    case six = 6, eighteen = 18, twentySix = 26
}

/// Connected-component labels of a volume, in NIfTI voxel order (`index = i + nx * (j + ny * k)`).
public struct ComponentLabels: Sendable {
    public let shape: [Int]
    /// 0 = background, 1...count = components, numbered in the order of each component's first
    /// voxel in NIfTI raster order (i fastest, then j, then k).
    public let labels: [Int32]
    public let count: Int

    public init(shape: [Int], labels: [Int32], count: Int) {
        precondition(shape.reduce(1, *) == labels.count, "labels do not match shape \(shape)")
        self.shape = shape
        self.labels = labels
        self.count = count
    }
}

/// Size, bounding box and centroid of one component, in voxel coordinates.
public struct ComponentStats: Sendable, Equatable {
    public var label: Int32
    public var voxelCount: Int
    /// Smallest (i, j, k) of the component, inclusive.
    public var bboxMin: [Int]
    /// Largest (i, j, k) of the component, inclusive.
    public var bboxMax: [Int]
    /// Mean (i, j, k) of the component's voxels.
    public var centroid: [Double]

    public init(label: Int32, voxelCount: Int, bboxMin: [Int], bboxMax: [Int], centroid: [Double]) {
        self.label = label
        self.voxelCount = voxelCount
        self.bboxMin = bboxMin
        self.bboxMax = bboxMax
        self.centroid = centroid
    }
}

/// 3D connected-component labelling, in the spirit of cc3d (connected-components-3d).
///
/// One raster scan (i fastest) gives every foreground voxel a provisional label, merging the
/// labels of its already-visited neighbours in a union-find table (13 backward neighbours for
/// 26-connectivity, 9 for 18, 3 for 6). Neighbours that are certainly in the same set already
/// are skipped by a small decision tree (if the voxel before on the row is foreground, only the
/// neighbours one step ahead in i can bring a new label). Unions always keep the smaller label as
/// the root, so each set's root is the provisional label of its first voxel; one pass over the
/// table then numbers the roots 1...count in order of first appearance, and a parallel gather
/// writes the final labels. Rows, slices and the volume's faces never wrap around: rows and
/// slices outside the volume read from a row of zeros, and i - 1 / i + 1 are bounds-checked.
///
/// Shapes with fewer than three axes are treated as having trailing axes of length 1.
public enum ConnectedComponents {
    /// Components of the voxels where `mask` is true.
    public static func label(shape: [Int], mask: [Bool], connectivity: Connectivity = .twentySix) -> ComponentLabels {
        precondition(shape.reduce(1, *) == mask.count, "mask has \(mask.count) voxels, shape \(shape)")
        var lut = [Bool](repeating: false, count: 256)
        lut[1] = true  // Bool is stored as one byte, 0 or 1
        return mask.withUnsafeBufferPointer { p in
            p.withMemoryRebound(to: UInt8.self) { bytes in
                run(shape: shape, source: bytes, foreground: lut, connectivity: connectivity)
            }
        }
    }

    /// Components of the voxels whose value satisfies `isForeground` (evaluated once per byte
    /// value, not per voxel).
    public static func label(shape: [Int], values: [UInt8], connectivity: Connectivity = .twentySix,
                             isForeground: (UInt8) -> Bool) -> ComponentLabels {
        precondition(shape.reduce(1, *) == values.count, "volume has \(values.count) voxels, shape \(shape)")
        let lut = (0...255).map { isForeground(UInt8($0)) }
        return values.withUnsafeBufferPointer { run(shape: shape, source: $0, foreground: lut, connectivity: connectivity) }
    }

    /// Components of the voxels equal to `value` (for example 2, tumor: the LiTS "lesions").
    public static func label(_ labels: LabelMap, value: UInt8, connectivity: Connectivity = .twentySix) -> ComponentLabels {
        label(shape: labels.shape, values: labels.voxels, connectivity: connectivity) { $0 == value }
    }

    /// Components of the voxels at or above `value` (for example 1: liver including tumor).
    public static func label(_ labels: LabelMap, atLeast value: UInt8, connectivity: Connectivity = .twentySix) -> ComponentLabels {
        label(shape: labels.shape, values: labels.voxels, connectivity: connectivity) { $0 >= value }
    }

    /// Voxel count, inclusive bounding box and centroid of every component; element n - 1
    /// describes label n.
    public static func statistics(_ c: ComponentLabels) -> [ComponentStats] {
        let s = paddedShape(c.shape)
        let (nx, ny, nz) = (s[0], s[1], s[2])
        let m = c.count
        guard m > 0 else { return [] }
        // Flat per-label accumulators, 10 Ints per label: count, min i/j/k, max i/j/k, sum i/j/k.
        var acc = [Int](repeating: 0, count: 10 * (m + 1))
        for l in 0...m { acc[10 * l + 1] = .max; acc[10 * l + 2] = .max; acc[10 * l + 3] = .max; acc[10 * l + 4] = .min; acc[10 * l + 5] = .min; acc[10 * l + 6] = .min }
        c.labels.withUnsafeBufferPointer { lab in
            acc.withUnsafeMutableBufferPointer { accBuf in
                let a = accBuf.baseAddress!
                for k in 0..<nz {
                    for j in 0..<ny {
                        let row = lab.baseAddress! + nx * (j + ny * k)
                        var i = 0
                        while i < nx {
                            // Background runs, two labels at a time.
                            if i + 2 <= nx && UnsafeRawPointer(row + i).loadUnaligned(as: UInt64.self) == 0 { i += 2; continue }
                            let l = Int(row[i])
                            if l != 0 {
                                let p = a + 10 * l
                                p[0] += 1
                                if i < p[1] { p[1] = i }
                                if j < p[2] { p[2] = j }
                                if k < p[3] { p[3] = k }
                                if i > p[4] { p[4] = i }
                                if j > p[5] { p[5] = j }
                                if k > p[6] { p[6] = k }
                                p[7] += i
                                p[8] += j
                                p[9] += k
                            }
                            i += 1
                        }
                    }
                }
            }
        }
        let dims = min(max(c.shape.count, 1), 3)
        return (1...m).map { l in
            let b = 10 * l, n = Double(acc[b])
            return ComponentStats(label: Int32(l), voxelCount: acc[b],
                                  bboxMin: Array(acc[(b + 1)..<(b + 1 + dims)]), bboxMax: Array(acc[(b + 4)..<(b + 4 + dims)]),
                                  centroid: (0..<dims).map { Double(acc[b + 7 + $0]) / n })
        }
    }

    // MARK: - Implementation

    static func paddedShape(_ shape: [Int]) -> [Int] {
        precondition(shape.count <= 3 && shape.allSatisfy { $0 >= 0 }, "shape \(shape) is not a 1-3D shape")
        return shape + [Int](repeating: 1, count: 3 - shape.count)
    }

    /// The union-find table of provisional labels; label 0 is background.
    struct UnionFind {
        var parent: UnsafeMutablePointer<Int32>
        var capacity: Int
        var next: Int32 = 1

        init(capacity: Int) {
            self.capacity = max(capacity, 16)
            parent = .allocate(capacity: self.capacity)
            parent[0] = 0
        }

        func free() { parent.deallocate() }

        @inline(__always) mutating func make() -> Int32 {
            if Int(next) == capacity { grow() }
            let l = next
            parent[Int(l)] = l
            next += 1
            return l
        }

        mutating func grow() {
            precondition(capacity < Int(Int32.max), "more than 2^31 provisional labels")
            let newCapacity = min(capacity * 2, Int(Int32.max))
            let p = UnsafeMutablePointer<Int32>.allocate(capacity: newCapacity)
            p.update(from: parent, count: Int(next))
            parent.deallocate()
            parent = p
            capacity = newCapacity
        }

        /// Root with path halving.
        @inline(__always) func find(_ x: Int32) -> Int32 {
            var x = Int(x)
            while true {
                let p = Int(parent[x])
                if p == x { return Int32(x) }
                let g = parent[p]
                parent[x] = g
                x = Int(g)
            }
        }

        /// `cur` (a label or 0) merged with the neighbour label `v` (a label or 0).
        @inline(__always) func merge(_ cur: Int32, _ v: Int32) -> Int32 {
            if v == 0 || v == cur { return cur }
            if cur == 0 { return v }
            let a = find(cur), b = find(v)
            if a == b { return a }
            if a < b { parent[Int(b)] = a; return a }
            parent[Int(a)] = b
            return b
        }
    }

    static func run(shape: [Int], source: UnsafeBufferPointer<UInt8>, foreground lutArray: [Bool],
                    connectivity: Connectivity) -> ComponentLabels {
        let s = paddedShape(shape)
        let (nx, ny, nz) = (s[0], s[1], s[2])
        let total = nx * ny * nz
        guard total > 0 else { return ComponentLabels(shape: shape, labels: [], count: 0) }
        // Provisional labels start only where the voxel before on the row is background, so at most
        // one per two voxels; start smaller and grow.
        var uf = UnionFind(capacity: min(total / 2 + 2, max(1 << 16, total / 64)))
        defer { uf.free() }
        // Huge pages (HugePages.array): a 512x512x450 Int32 output costs a few hundred page
        // faults instead of 115,000.
        var labels: [Int32] = HugePages.array(count: total) { out in
            lutArray.withUnsafeBufferPointer { lut in
                let zeros = UnsafeMutablePointer<Int32>.allocate(capacity: nx + 2)
                zeros.initialize(repeating: 0, count: nx + 2)
                defer { zeros.deallocate() }
                let ctx = ScanContext(src: source.baseAddress!, out: out.baseAddress!, lut: lut.baseAddress!,
                                      zeroRow: zeros + 1, nx: nx, ny: ny, nz: nz, zeroIsBackground: !lut[0])
                switch connectivity {
                case .twentySix: scan26(ctx, &uf)
                case .eighteen: scan18(ctx, &uf)
                case .six: scan6(ctx, &uf)
                }
            }
        }
        // Number the roots in order (a root is its set's smallest label, the label of its first voxel).
        let provisional = Int(uf.next)
        var final = [Int32](repeating: 0, count: provisional)
        var count: Int32 = 0
        let parent = uf.parent
        for l in 1..<max(provisional, 1) {
            let p = Int(parent[l])
            if p == l { count += 1; final[l] = count } else { final[l] = final[p] }  // p < l
        }
        if Int(count) != provisional - 1 {
            final.withUnsafeBufferPointer { f in
                labels.withUnsafeMutableBufferPointer { lab in
                    let base = lab.baseAddress!
                    let chunk = 1 << 20
                    let chunks = (total + chunk - 1) / chunk
                    Parallel.perform(iterations: chunks) { c in
                        let end = min(total, (c + 1) * chunk)
                        var n = c * chunk
                        while n < end {
                            let l = base[n]
                            if l != 0 { base[n] = f[Int(l)] }
                            n += 1
                        }
                    }
                }
            }
        }
        return ComponentLabels(shape: shape, labels: labels, count: Int(count))
    }

    struct ScanContext {
        let src: UnsafePointer<UInt8>
        let out: UnsafeMutablePointer<Int32>
        let lut: UnsafePointer<Bool>
        /// A row of zeros readable at indices -1...nx, standing in for rows outside the volume.
        let zeroRow: UnsafeMutablePointer<Int32>
        let nx: Int, ny: Int, nz: Int
        let zeroIsBackground: Bool

        /// Rows of the current slice and the one below: (j-1, k), (j-1, k-1), (j, k-1), (j+1, k-1).
        @inline(__always) func rows(_ j: Int, _ k: Int) -> (o: UnsafeMutablePointer<Int32>, b: UnsafeMutablePointer<Int32>,
                                                           cu: UnsafeMutablePointer<Int32>, c: UnsafeMutablePointer<Int32>,
                                                           cd: UnsafeMutablePointer<Int32>) {
            let o = out + nx * (j + ny * k)
            let c = k > 0 ? o - nx * ny : zeroRow
            return (o, j > 0 ? o - nx : zeroRow,
                    k > 0 && j > 0 ? c - nx : zeroRow, c,
                    k > 0 && j + 1 < ny ? c + nx : zeroRow)
        }

        /// Writes background labels from `i` on while the source bytes are 0 and 0 is background;
        /// returns the first index that needs a look.
        @inline(__always) func skipZeros(_ src: UnsafePointer<UInt8>, _ o: UnsafeMutablePointer<Int32>, _ i: Int) -> Int {
            var i = i
            while i + 8 <= nx && UnsafeRawPointer(src + i).loadUnaligned(as: UInt64.self) == 0 {
                (o + i).update(repeating: 0, count: 8)
                i += 8
            }
            return i
        }
    }

    static func scan26(_ ctx: ScanContext, _ uf: inout UnionFind) {
        let nx = ctx.nx
        for k in 0..<ctx.nz {
            for j in 0..<ctx.ny {
                let (o, b, cu, c, cd) = ctx.rows(j, k)
                let src = ctx.src + nx * (j + ctx.ny * k)
                var i = 0
                while i < nx {
                    if ctx.zeroIsBackground {
                        i = ctx.skipZeros(src, o, i)
                        if i >= nx { break }
                    }
                    if !ctx.lut[Int(src[i])] { o[i] = 0; i += 1; continue }
                    let hasL = i > 0, hasR = i + 1 < nx
                    var cur: Int32
                    if hasL && o[i - 1] != 0 {
                        // Everything adjacent to (i-1, j, k) is already in its set: only i + 1 is new.
                        cur = o[i - 1]
                        if hasR {
                            if c[i + 1] != 0 {
                                cur = uf.merge(cur, c[i + 1])  // touches b[i+1], cu[i+1], cd[i+1]
                            } else {
                                cur = uf.merge(cur, b[i + 1] != 0 ? b[i + 1] : cu[i + 1])
                                cur = uf.merge(cur, cd[i + 1])
                            }
                        }
                    } else if b[i] != 0 {
                        // (i, j-1, k) touches all but the row (j+1, k-1); (i, j, k-1) touches that row.
                        cur = b[i]
                        if c[i] == 0 {
                            if cd[i] != 0 {
                                cur = uf.merge(cur, cd[i])
                            } else {
                                if hasL { cur = uf.merge(cur, cd[i - 1]) }
                                if hasR { cur = uf.merge(cur, cd[i + 1]) }
                            }
                        }
                    } else if c[i] != 0 {
                        cur = c[i]  // (i, j, k-1) touches every other backward neighbour
                    } else {
                        cur = 0
                        if hasL {
                            cur = uf.merge(cur, b[i - 1]); cur = uf.merge(cur, cu[i - 1])
                            cur = uf.merge(cur, c[i - 1]); cur = uf.merge(cur, cd[i - 1])
                        }
                        cur = uf.merge(cur, cu[i]); cur = uf.merge(cur, cd[i])
                        if hasR {
                            cur = uf.merge(cur, b[i + 1]); cur = uf.merge(cur, cu[i + 1])
                            cur = uf.merge(cur, c[i + 1]); cur = uf.merge(cur, cd[i + 1])
                        }
                    }
                    o[i] = cur != 0 ? cur : uf.make()
                    i += 1
                }
            }
        }
    }

    static func scan18(_ ctx: ScanContext, _ uf: inout UnionFind) {
        let nx = ctx.nx
        for k in 0..<ctx.nz {
            for j in 0..<ctx.ny {
                let (o, b, cu, c, cd) = ctx.rows(j, k)
                let src = ctx.src + nx * (j + ctx.ny * k)
                var i = 0
                while i < nx {
                    if ctx.zeroIsBackground {
                        i = ctx.skipZeros(src, o, i)
                        if i >= nx { break }
                    }
                    if !ctx.lut[Int(src[i])] { o[i] = 0; i += 1; continue }
                    let hasL = i > 0, hasR = i + 1 < nx
                    // Backward 18-neighbours: (i-1,j,k); (i-1..i+1, j-1, k); (i,j,k-1), (i±1,j,k-1), (i,j±1,k-1).
                    var cur: Int32
                    if hasL && o[i - 1] != 0 {
                        cur = o[i - 1]  // touches b[i-1], b[i], c[i-1], c[i]
                        if hasR { cur = uf.merge(cur, b[i + 1]); cur = uf.merge(cur, c[i + 1]) }
                        cur = uf.merge(cur, cu[i]); cur = uf.merge(cur, cd[i])
                    } else if b[i] != 0 {
                        cur = b[i]  // touches b[i±1], c[i], cu[i]
                        if c[i] == 0 {  // c[i] would touch c[i±1] and cd[i]
                            if cd[i] != 0 {
                                cur = uf.merge(cur, cd[i])  // touches c[i±1]
                            } else {
                                if hasL { cur = uf.merge(cur, c[i - 1]) }
                                if hasR { cur = uf.merge(cur, c[i + 1]) }
                            }
                        }
                    } else if c[i] != 0 {
                        cur = c[i]  // touches the k-1 neighbours; b[i±1] are new
                        if hasL { cur = uf.merge(cur, b[i - 1]) }
                        if hasR { cur = uf.merge(cur, b[i + 1]) }
                    } else {
                        cur = 0
                        if hasL { cur = uf.merge(cur, b[i - 1]); cur = uf.merge(cur, c[i - 1]) }
                        if hasR { cur = uf.merge(cur, b[i + 1]); cur = uf.merge(cur, c[i + 1]) }
                        cur = uf.merge(cur, cu[i]); cur = uf.merge(cur, cd[i])
                    }
                    o[i] = cur != 0 ? cur : uf.make()
                    i += 1
                }
            }
        }
    }

    static func scan6(_ ctx: ScanContext, _ uf: inout UnionFind) {
        let nx = ctx.nx
        for k in 0..<ctx.nz {
            for j in 0..<ctx.ny {
                let (o, b, _, c, _) = ctx.rows(j, k)
                let src = ctx.src + nx * (j + ctx.ny * k)
                var i = 0
                while i < nx {
                    if ctx.zeroIsBackground {
                        i = ctx.skipZeros(src, o, i)
                        if i >= nx { break }
                    }
                    if !ctx.lut[Int(src[i])] { o[i] = 0; i += 1; continue }
                    var cur: Int32 = i > 0 ? o[i - 1] : 0
                    cur = uf.merge(cur, b[i])
                    cur = uf.merge(cur, c[i])
                    o[i] = cur != 0 ? cur : uf.make()
                    i += 1
                }
            }
        }
    }
}
