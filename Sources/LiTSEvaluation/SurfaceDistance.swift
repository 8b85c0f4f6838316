import Foundation
import LiTSCore
import LiTSImaging

/// Surface distances between a prediction and a reference ("truth") mask, in mm, with the
/// definitions of medpy 0.5.2 (`medpy.metric.binary`, `result` = prediction, `reference` = truth).
///
/// A mask's surface is its set of voxels removed by one binary erosion with the structuring
/// element `generate_binary_structure(ndim, connectivity)` (connectivity 1: the 6 face
/// neighbours in 3D), counting voxels outside the image as background (scipy's
/// `border_value=0`): a mask touching a face of the image has surface voxels on that face.
/// The directed distances from P to T are, for every surface voxel of P, the Euclidean distance
/// (with the voxel spacing) to the nearest surface voxel of T; 0 where the surfaces meet.
public struct SurfaceDistances: Equatable, Sendable {
    /// Average symmetric surface distance: the mean of all directed distances of both directions
    /// together (medpy 0.5.2 `assd`; a weighted mean of the two `asd`s, weighted by surface
    /// voxel counts. medpy before 0.5 took the plain mean of the two.)
    public var assd: Double
    /// Hausdorff distance: the largest directed distance either way (medpy `hd`).
    public var hausdorff: Double
    /// 95th percentile (numpy's default linear interpolation) of all directed distances of both
    /// directions together (medpy `hd95`; not the maximum of two directed percentiles, which is
    /// what MONAI computes).
    public var hd95: Double
    /// Mean distance from the prediction's surface to the truth's (medpy `asd(pred, truth)`).
    public var asdPredToTruth: Double
    /// Mean distance from the truth's surface to the prediction's (medpy `asd(truth, pred)`).
    public var asdTruthToPred: Double
    /// Largest distance from the prediction's surface to the truth's.
    public var hausdorffPredToTruth: Double
    /// Largest distance from the truth's surface to the prediction's.
    public var hausdorffTruthToPred: Double
    /// Surface voxels of the prediction and of the truth.
    public var predSurfaceVoxels: Int
    public var truthSurfaceVoxels: Int
}

extension Metrics {
    /// Surface distances of `pred` against `truth`, or `nil` when either mask is empty (an empty
    /// mask has no surface: its distances are missing, not 0).
    ///
    /// - Parameters:
    ///   - pred, truth: masks in NIfTI voxel order (`index = i + nx * (j + ny * k)`).
    ///   - shape: 1 to 3 axis lengths; spacing: one positive value per axis, mm.
    ///   - connectivity: the erosion's structuring element, as scipy's
    ///     `generate_binary_structure(shape.count, connectivity)`: 1 (faces, medpy's default),
    ///     2 (and edges), 3 (and corners); values above `shape.count` give the full neighbourhood.
    ///
    /// Work is limited to the bounding box of both masks (plus one background voxel each side for
    /// the erosion), which gives exactly the whole-image result: voxels outside the box are
    /// background, like voxels outside the image, and every surface voxel of either mask lies in
    /// the box, so the nearest one to any point of the box is found inside it.
    public static func surfaceDistances(pred: [Bool], truth: [Bool], shape: [Int], spacing: [Double],
                                        connectivity: Int = 1) -> SurfaceDistances? {
        guard let (fromPred, fromTruth) = directedSurfaceDistances(pred: pred, truth: truth, shape: shape,
                                                                  spacing: spacing, connectivity: connectivity)
        else { return nil }
        return SurfaceDistances(predToTruth: fromPred, truthToPred: fromTruth)
    }

    /// Normalized surface Dice at `tolerance` mm, as MONAI's `compute_surface_dice` (default
    /// `use_subvoxels=False`): the fraction of the surface voxels of both masks (6-neighbourhood
    /// surfaces, as here) that lie within the tolerance (<=) of the other mask's surface. nil
    /// when both masks are empty (MONAI: NaN); 0 when one is. MONAI casts the distances to
    /// float32 and compares them with the tolerance in float32; so does this (a distance of
    /// 2.5000000000000004 mm is within 2.5 mm there).
    public static func normalizedSurfaceDice(_ directed: (predToTruth: [Double], truthToPred: [Double])?,
                                             predEmpty: Bool, truthEmpty: Bool, tolerance: Double) -> Double? {
        guard let (a, b) = directed else { return predEmpty && truthEmpty ? nil : 0 }
        let t = Float(tolerance)
        let within = a.reduce(0) { $0 + (Float($1) <= t ? 1 : 0) } + b.reduce(0) { $0 + (Float($1) <= t ? 1 : 0) }
        return Double(within) / Double(a.count + b.count)
    }
}

extension SurfaceDistances {
    /// The metrics of the two directed distance sets (both non-empty).
    public init(predToTruth fromPred: [Double], truthToPred fromTruth: [Double]) {
        let sumP = fromPred.reduce(0, +), sumT = fromTruth.reduce(0, +)
        let maxP = fromPred.max() ?? 0, maxT = fromTruth.max() ?? 0
        var all = fromPred + fromTruth
        self.init(
            assd: (sumP + sumT) / Double(all.count),
            hausdorff: max(maxP, maxT),
            hd95: Metrics.percentileLinear(&all, 95),
            asdPredToTruth: sumP / Double(fromPred.count),
            asdTruthToPred: sumT / Double(fromTruth.count),
            hausdorffPredToTruth: maxP,
            hausdorffTruthToPred: maxT,
            predSurfaceVoxels: fromPred.count,
            truthSurfaceVoxels: fromTruth.count)
    }
}

extension Metrics {

    /// The two directed distance sets: for each surface voxel of `pred` (in voxel order) the
    /// distance in mm to the nearest surface voxel of `truth`, and the same from `truth` to
    /// `pred`. `nil` when either mask is empty.
    ///
    /// `exactDistances` computes the distance transform in Double (twice its memory) instead of
    /// Float: distances equal to a k-d tree's to rounding rather than to about 1e-5 mm.
    public static func directedSurfaceDistances(pred: [Bool], truth: [Bool], shape: [Int], spacing: [Double],
                                                connectivity: Int = 1, exactDistances: Bool = false)
        -> (predToTruth: [Double], truthToPred: [Double])? {
        precondition((1...3).contains(shape.count) && shape.allSatisfy { $0 >= 0 }, "shape \(shape) is not a 1-3D shape")
        precondition(spacing.count == shape.count && spacing.allSatisfy { $0 > 0 && $0.isFinite },
                     "spacing \(spacing) must have one positive value per axis")
        precondition(connectivity >= 1, "connectivity must be at least 1")
        let ndim = shape.count
        let s = shape + [Int](repeating: 1, count: 3 - ndim)
        let w = spacing + [Double](repeating: 1, count: 3 - ndim)
        let n = s[0] * s[1] * s[2]
        precondition(pred.count == n && truth.count == n, "masks have \(pred.count) and \(truth.count) voxels, shape \(shape)")

        guard let boxP = SurfaceBox.boundingBox(pred, s), let boxT = SurfaceBox.boundingBox(truth, s) else { return nil }
        // The union's bounding box, padded by one voxel along the image's own axes only (an axis
        // that the caller did not give has no neighbours, as in scipy's lower-rank structure).
        let lo = (0..<3).map { min(boxP.lo[$0], boxT.lo[$0]) }
        let hi = (0..<3).map { max(boxP.hi[$0], boxT.hi[$0]) }
        let pad = (0..<3).map { $0 < ndim ? 1 : 0 }
        let c = (0..<3).map { hi[$0] - lo[$0] + 1 + 2 * pad[$0] }
        let cropP = SurfaceBox.crop(pred, s, lo: lo, hi: hi, cropShape: c, pad: pad)
        let cropT = SurfaceBox.crop(truth, s, lo: lo, hi: hi, cropShape: c, pad: pad)

        let offsets = SurfaceBox.neighbourOffsets(ndim: ndim, connectivity: connectivity, cropShape: c)
        let surfP = SurfaceBox.surface(cropP, c, offsets: offsets)
        let surfT = SurfaceBox.surface(cropT, c, offsets: offsets)

        // Distance from every voxel to the nearest surface voxel of the other mask: the EDT of
        // the complement of that surface, read at this mask's surface voxels.
        if exactDistances {
            let toTruth = DistanceTransform.edtDouble(shape: c, spacing: w, mask: surfT.notSurface)
            let predToTruth = surfP.indices.map { toTruth[$0] }
            let toPred = DistanceTransform.edtDouble(shape: c, spacing: w, mask: surfP.notSurface)
            return (predToTruth, surfT.indices.map { toPred[$0] })
        }
        let toTruth = DistanceTransform.edt(shape: c, spacing: w, mask: surfT.notSurface)
        let toPred = DistanceTransform.edt(shape: c, spacing: w, mask: surfP.notSurface)
        let predToTruth = surfP.indices.map { Double(toTruth[$0]) }
        let truthToPred = surfT.indices.map { Double(toPred[$0]) }
        return (predToTruth, truthToPred)
    }

    /// numpy's `percentile(values, q)` with its default linear method; reorders `values`.
    static func percentileLinear(_ values: inout [Double], _ q: Double) -> Double {
        let n = values.count
        precondition(n > 0, "percentile of no values")
        let virtualIndex = Double(n - 1) * (q / 100)
        let previous = min(n - 1, max(0, Int(virtualIndex.rounded(.down))))
        let next = min(n - 1, previous + 1)
        let gamma = virtualIndex - Double(previous)
        let a = Selection.select(&values, previous)
        // After selecting, everything above `previous` is >= a: the next order statistic is
        // the smallest of them.
        var b = a
        if next > previous {
            b = values[next]
            for v in values[(previous + 1)...] where v < b { b = v }
        }
        // numpy's _lerp: a + (b - a) * t, or b - (b - a) * (1 - t) when t >= 0.5.
        let d = b - a
        return gamma >= 0.5 ? b - d * (1 - gamma) : a + d * gamma
    }
}

/// Cropping, erosion surfaces and bounding boxes for `Metrics.surfaceDistances`.
enum SurfaceBox {
    struct Box { var lo: [Int]; var hi: [Int] }

    /// Inclusive bounding box of the true voxels (nil if none). Rows are scanned eight bytes at
    /// a time, in parallel over slices.
    static func boundingBox(_ mask: [Bool], _ s: [Int]) -> Box? {
        let (nx, ny, nz) = (s[0], s[1], s[2])
        if nx * ny * nz == 0 { return nil }
        let tasks = min(nz, max(1, ProcessInfo.processInfo.activeProcessorCount * 4))
        // Per task: [iMin, jMin, kMin, iMax, jMax, kMax]; iMin > iMax means empty.
        var parts = [[Int]](repeating: [Int.max, Int.max, Int.max, -1, -1, -1], count: tasks)
        mask.withUnsafeBytes { raw in
            let base = raw.baseAddress!
            parts.withUnsafeMutableBufferPointer { out in
                let o = out.baseAddress!
                Parallel.perform(iterations: tasks) { t in
                    var b = [Int.max, Int.max, Int.max, -1, -1, -1]
                    for k in (nz * t / tasks)..<(nz * (t + 1) / tasks) {
                        for j in 0..<ny {
                            let row = base + (k * ny + j) * nx
                            guard let first = firstNonZero(row, nx) else { continue }
                            let last = lastNonZero(row, nx)
                            b[0] = min(b[0], first); b[3] = max(b[3], last)
                            b[1] = min(b[1], j); b[4] = max(b[4], j)
                            b[2] = min(b[2], k); b[5] = max(b[5], k)
                        }
                    }
                    o[t] = b
                }
            }
        }
        var lo = [Int.max, Int.max, Int.max], hi = [-1, -1, -1]
        for p in parts where p[3] >= 0 {
            for a in 0..<3 { lo[a] = min(lo[a], p[a]); hi[a] = max(hi[a], p[a + 3]) }
        }
        return hi[0] < 0 ? nil : Box(lo: lo, hi: hi)
    }

    @inline(__always)
    static func firstNonZero(_ row: UnsafeRawPointer, _ n: Int) -> Int? {
        var i = 0
        while i + 8 <= n {
            let w = row.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            if w != 0 { return i + UInt64(littleEndian: w).trailingZeroBitCount / 8 }
            i += 8
        }
        while i < n {
            if row.load(fromByteOffset: i, as: UInt8.self) != 0 { return i }
            i += 1
        }
        return nil
    }

    /// The last non-zero byte of a row known to hold one.
    @inline(__always)
    static func lastNonZero(_ row: UnsafeRawPointer, _ n: Int) -> Int {
        var i = n
        while i >= 8 {
            let w = row.loadUnaligned(fromByteOffset: i - 8, as: UInt64.self)
            if w != 0 { return i - 1 - UInt64(littleEndian: w).leadingZeroBitCount / 8 }
            i -= 8
        }
        while i > 0 {
            if row.load(fromByteOffset: i - 1, as: UInt8.self) != 0 { return i - 1 }
            i -= 1
        }
        return -1
    }

    /// The box lo...hi of `mask` (shape `s`) copied into an array of shape `cropShape` at offset
    /// `pad`, false elsewhere.
    static func crop(_ mask: [Bool], _ s: [Int], lo: [Int], hi: [Int], cropShape c: [Int], pad: [Int]) -> [Bool] {
        var out = [Bool](repeating: false, count: c[0] * c[1] * c[2])
        let width = hi[0] - lo[0] + 1
        mask.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for k in lo[2]...hi[2] {
                    for j in lo[1]...hi[1] {
                        let from = lo[0] + s[0] * (j + s[1] * k)
                        let to = pad[0] + c[0] * (j - lo[1] + pad[1] + c[1] * (k - lo[2] + pad[2]))
                        (dst.baseAddress! + to).update(from: src.baseAddress! + from, count: width)
                    }
                }
            }
        }
        return out
    }

    /// Flat offsets of the structuring element's neighbours (centre excluded): the displacements
    /// in {-1, 0, 1} along the first `ndim` axes with at most `connectivity` non-zero components,
    /// as scipy's `generate_binary_structure(ndim, connectivity)`.
    static func neighbourOffsets(ndim: Int, connectivity: Int, cropShape c: [Int]) -> [Int] {
        var offsets: [Int] = []
        let range = { (axis: Int) -> ClosedRange<Int> in axis < ndim ? -1...1 : 0...0 }
        for dk in range(2) {
            for dj in range(1) {
                for di in range(0) {
                    let nonZero = abs(di) + abs(dj) + abs(dk)
                    if nonZero == 0 || nonZero > connectivity { continue }
                    offsets.append(di + c[0] * (dj + c[1] * dk))
                }
            }
        }
        return offsets
    }

    /// A mask's surface in a padded crop: voxels of the mask with a neighbour (by `offsets`)
    /// outside it. Returns the complement of the surface (the EDT's input) and the surface
    /// voxels' indices in voxel order.
    static func surface(_ mask: [Bool], _ c: [Int], offsets: [Int]) -> (notSurface: [Bool], indices: [Int]) {
        var notSurface = [Bool](repeating: true, count: mask.count)
        var indices: [Int] = []
        mask.withUnsafeBufferPointer { mb in
            notSurface.withUnsafeMutableBufferPointer { nb in
                let m = mb.baseAddress!, ns = nb.baseAddress!
                // The padding is background, so every true voxel has all its neighbours in the
                // array (an axis without padding has no neighbour offsets).
                for n in 0..<mb.count where m[n] {
                    for o in offsets where !m[n + o] {
                        ns[n] = false
                        indices.append(n)
                        break
                    }
                }
            }
        }
        return (notSurface, indices)
    }
}

/// Order statistics without sorting.
enum Selection {
    /// Reorders `a` so that `a[k]` is the k-th smallest value (0-based), everything before it
    /// <= it and everything after it >= it, and returns `a[k]`. Expected linear time (quickselect
    /// with median-of-three pivots, insertion sort for short ranges).
    static func select(_ a: inout [Double], _ k: Int) -> Double {
        precondition(k >= 0 && k < a.count, "select: \(k) out of 0..<\(a.count)")
        return a.withUnsafeMutableBufferPointer { buf -> Double in
            let p = buf.baseAddress!
            var lo = 0, hi = buf.count - 1
            while hi - lo > 16 {
                let mid = lo + (hi - lo) / 2
                if p[mid] < p[lo] { p.swapAt(mid, lo) }
                if p[hi] < p[lo] { p.swapAt(hi, lo) }
                if p[hi] < p[mid] { p.swapAt(hi, mid) }
                let pivot = p[mid]
                var i = lo, j = hi
                while i <= j {
                    while p[i] < pivot { i += 1 }
                    while p[j] > pivot { j -= 1 }
                    if i <= j { p.swapAt(i, j); i += 1; j -= 1 }
                }
                if k <= j { hi = j } else if k >= i { lo = i } else { return p[k] }
            }
            if lo < hi {
                for i in (lo + 1)...hi {
                    let v = p[i]
                    var j = i - 1
                    while j >= lo && p[j] > v { p[j + 1] = p[j]; j -= 1 }
                    p[j + 1] = v
                }
            }
            return p[k]
        }
    }
}

private extension UnsafeMutablePointer where Pointee == Double {
    @inline(__always) func swapAt(_ i: Int, _ j: Int) {
        let t = self[i]; self[i] = self[j]; self[j] = t
    }
}
