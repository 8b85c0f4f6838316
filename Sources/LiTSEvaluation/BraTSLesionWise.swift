import Foundation
import LiTSImaging

/// Lesion-wise Dice and HD95 as the BraTS 2023 challenge scores them
/// (`rachitsaluja/BraTS-2023-Metrics`, `get_lesion_wise_score` and `get_lesion_wise_results`):
/// - lesions are 26-connected components; truth lesions whose `dilation`-times dilated masks
///   (18-neighbourhood) touch are merged into one reference lesion;
/// - each reference lesion is matched with every predicted component that meets its dilated
///   mask; its Dice and HD95 are those of the lesion against the union of those components;
///   a reference lesion without one is missed (FN): Dice 0, HD95 `maxDistance` (374 mm, BraTS's
///   value for an infinite distance);
/// - a predicted component that meets no dilated reference lesion is a false positive: Dice 0,
///   HD95 `maxDistance`;
/// - reference lesions of `minVolumeMM3` or less are left out (their matches are not FP);
/// - the case's score is the mean over TP + FN + FP; with none of them Dice 1 and HD95 0.
/// HD95 is this report's (medpy's: the 95th percentile of both directed surface distance sets),
/// not the surfel-weighted one of DeepMind's `surface_distance` that BraTS uses, so matched
/// lesions' HD95 differ from BraTS's by a fraction of a voxel; everything else is BraTS's.
/// The defaults are BraTS-MET's (metastases): dilation 1, 2 mm3.
public struct BraTSLesionWise: Codable, Equatable, Sendable {
    public static let maxDistance = 374.0

    public struct Lesion: Codable, Equatable, Sendable {
        /// The truth components (`ConnectedComponents` numbers) merged into this reference lesion.
        public var components: [Int]
        public var volumeMM3: Double
        /// Predicted components matched with it.
        public var predictions: [Int]
        public var dice: Double
        /// `maxDistance` when missed.
        public var hd95: Double
        /// Above the volume threshold: part of the score.
        public var counted: Bool
        public var region: String?
    }

    public var lesions: [Lesion]
    /// Regions of the false-positive predicted components (nil without a liver).
    public var falsePositiveRegions: [String?]
    public var tp: Int, fn: Int, fp: Int
    public var dice: Double, hd95: Double

    public init(lesions: [Lesion], falsePositiveRegions: [String?]) {
        self.lesions = lesions
        self.falsePositiveRegions = falsePositiveRegions
        let counted = lesions.filter(\.counted)
        tp = counted.filter { !$0.predictions.isEmpty }.count
        fn = counted.count - tp
        fp = falsePositiveRegions.count
        (dice, hd95) = Self.score(counted, falsePositives: fp)
    }

    /// BraTS's case score of some counted lesions and false positives (a region's, a case's).
    public static func score(_ counted: [Lesion], falsePositives fp: Int) -> (dice: Double, hd95: Double) {
        let n = counted.count + fp
        guard n > 0 else { return (1, 0) }
        let dice = counted.reduce(0) { $0 + $1.dice } / Double(n)
        let hd95 = (counted.reduce(0) { $0 + $1.hd95 } + Double(fp) * maxDistance) / Double(n)
        return (dice, hd95)
    }

    /// - Parameters:
    ///   - truth, prediction: 26-connected lesion components on one grid.
    ///   - truthVoxels, predictionVoxels: the flat voxel indices of each component (element
    ///     n - 1 for component n).
    ///   - region: the region of a centroid slice.
    public static func compute(truth: ComponentLabels, prediction: ComponentLabels,
                               truthVoxels: [[Int]], predictionVoxels: [[Int]], spacing: [Double],
                               dilation: Int = 1, minVolumeMM3: Double = 2,
                               region: (Double) -> String?) -> BraTSLesionWise {
        let shape = truth.shape
        let voxelMM3 = spacing.reduce(1, *)
        let groups = merged(truth: truth, truthVoxels: truthVoxels, dilation: dilation)
        var matchedPredictions = Set<Int>()
        let lesions: [Lesion] = groups.map { members in
            let voxels = members.flatMap { truthVoxels[$0 - 1] }
            let box = VoxelBox(voxels, shape: shape).grown(by: dilation)
            var mask = box.mask(voxels)
            for _ in 0..<dilation { mask = box.dilate18(mask) }
            var hits = Set<Int>()
            box.forEach { n, local in
                if mask[local], prediction.labels[n] != 0 { hits.insert(Int(prediction.labels[n])) }
            }
            matchedPredictions.formUnion(hits)
            let inter = voxels.reduce(0) { $0 + (prediction.labels[$1] != 0 ? 1 : 0) }
            let predSize = hits.reduce(0) { $0 + predictionVoxels[$1 - 1].count }
            let dice = 2 * Double(inter) / Double(predSize + voxels.count)
            var hd95 = maxDistance
            if !hits.isEmpty {
                let predVoxels = hits.sorted().flatMap { predictionVoxels[$0 - 1] }
                hd95 = lesionHD95(truth: voxels, prediction: predVoxels, shape: shape, spacing: spacing)
            }
            let centroid = Double(voxels.reduce(0) { $0 + $1 / (shape[0] * shape[1]) }) / Double(voxels.count)
            let volume = Double(voxels.count) * voxelMM3
            return Lesion(components: members, volumeMM3: volume, predictions: hits.sorted(), dice: dice, hd95: hd95,
                          counted: volume > minVolumeMM3, region: region(centroid))
        }
        let falsePositives = (1...max(1, prediction.count)).filter { $0 <= prediction.count && !matchedPredictions.contains($0) }
        let fpRegions = falsePositives.map { p -> String? in
            let v = predictionVoxels[p - 1]
            return region(Double(v.reduce(0) { $0 + $1 / (shape[0] * shape[1]) }) / Double(v.count))
        }
        return BraTSLesionWise(lesions: lesions, falsePositiveRegions: fpRegions)
    }

    /// Truth components grouped by the 26-connected components of the dilated truth mask, in
    /// the order of each group's first component.
    static func merged(truth: ComponentLabels, truthVoxels: [[Int]], dilation: Int) -> [[Int]] {
        let all = truthVoxels.flatMap { $0 }
        guard dilation > 0, !all.isEmpty else { return (0..<truth.count).map { [$0 + 1] } }
        let box = VoxelBox(all, shape: truth.shape).grown(by: dilation)
        var mask = box.mask(all)
        for _ in 0..<dilation { mask = box.dilate18(mask) }
        let dilated = ConnectedComponents.label(shape: box.size, mask: mask, connectivity: .twentySix)
        var groupOf: [Int32: Int] = [:], groups: [[Int]] = []
        for t in 1...truth.count {
            let d = dilated.labels[box.local(truthVoxels[t - 1][0])]
            if let g = groupOf[d] { groups[g].append(t) } else { groupOf[d] = groups.count; groups.append([t]) }
        }
        return groups
    }

    /// HD95 (medpy's) between two voxel sets, computed in their joint bounding box.
    static func lesionHD95(truth: [Int], prediction: [Int], shape: [Int], spacing: [Double]) -> Double {
        let box = VoxelBox(truth + prediction, shape: shape)
        let t = box.mask(truth), p = box.mask(prediction)
        guard let (a, b) = Metrics.directedSurfaceDistances(pred: p, truth: t, shape: box.size, spacing: spacing,
                                                            exactDistances: true) else { return maxDistance }
        return SurfaceDistances(predToTruth: a, truthToPred: b).hd95
    }
}

/// An axis-aligned box of a 3D volume, for work on a few lesions without touching the rest.
struct VoxelBox {
    let shape: [Int], lo: [Int], hi: [Int]
    var size: [Int] { (0..<3).map { hi[$0] - lo[$0] + 1 } }

    /// The bounding box of non-empty `voxels` (flat indices).
    init(_ voxels: [Int], shape: [Int]) {
        let nx = shape[0], plane = shape[0] * shape[1]
        var lo = [Int.max, Int.max, Int.max], hi = [-1, -1, -1]
        for n in voxels {
            let c = [n % nx, (n % plane) / nx, n / plane]
            for a in 0..<3 { lo[a] = min(lo[a], c[a]); hi[a] = max(hi[a], c[a]) }
        }
        self.init(shape: shape, lo: lo, hi: hi)
    }

    init(shape: [Int], lo: [Int], hi: [Int]) { self.shape = shape; self.lo = lo; self.hi = hi }

    /// Grown by `r` voxels each side, inside the volume.
    func grown(by r: Int) -> VoxelBox {
        VoxelBox(shape: shape, lo: lo.map { max(0, $0 - r) }, hi: (0..<3).map { min(shape[$0] - 1, hi[$0] + r) })
    }

    func local(_ n: Int) -> Int {
        let nx = shape[0], plane = shape[0] * shape[1], s = size
        return (n % nx - lo[0]) + s[0] * ((n % plane) / nx - lo[1] + s[1] * (n / plane - lo[2]))
    }

    func mask(_ voxels: [Int]) -> [Bool] {
        var m = [Bool](repeating: false, count: size.reduce(1, *))
        for n in voxels { m[local(n)] = true }
        return m
    }

    /// Calls `body(global, local)` for every voxel of the box.
    func forEach(_ body: (Int, Int) -> Void) {
        let nx = shape[0], plane = shape[0] * shape[1]
        var local = 0
        for k in lo[2]...hi[2] { for j in lo[1]...hi[1] { for i in lo[0]...hi[0] {
            body(i + nx * j + plane * k, local); local += 1
        } } }
    }

    /// One binary dilation with scipy's `generate_binary_structure(3, 2)` (faces and edges);
    /// outside the box counts as background, as outside the image does for scipy.
    func dilate18(_ m: [Bool]) -> [Bool] {
        let s = size
        var out = m
        for k in 0..<s[2] { for j in 0..<s[1] { for i in 0..<s[0] where !m[i + s[0] * (j + s[1] * k)] {
            var hit = false
            for dk in -1...1 where !hit { for dj in -1...1 where !hit { for di in -1...1 where !hit {
                let far = abs(di) + abs(dj) + abs(dk)
                guard far > 0, far < 3 else { continue }
                let (a, b, c) = (i + di, j + dj, k + dk)
                guard a >= 0, b >= 0, c >= 0, a < s[0], b < s[1], c < s[2] else { continue }
                hit = m[a + s[0] * (b + s[1] * c)]
            } } }
            if hit { out[i + s[0] * (j + s[1] * k)] = true }
        } } }
        return out
    }
}
