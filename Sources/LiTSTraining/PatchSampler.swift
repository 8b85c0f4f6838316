import Foundation
import LiTSCore
import LiTSImaging
import LiTSInference
import LiTSNet

/// How patch windows are placed in a training volume.
public enum SamplingMode: Codable, Equatable, Sendable {
    /// The baseline: a random window anywhere (with a 168x168 volume and a 168x168 patch, a
    /// random slab of 16 slices covering whole slices).
    case uniform
    /// With probability `pLiver` the window is centred on a random liver voxel (label >= 1), with
    /// probability `pLesion` on a random lesion voxel (label 2; a case without lesions falls back
    /// to a liver voxel, a case without liver to a uniform window), otherwise uniform.
    case liverBiased(pLiver: Double = 0.4, pLesion: Double = 0.3)
    /// Liver-biased with the liver share split equally between the top, middle and bottom thirds
    /// of the liver's extent along k (`LiverExtent.region(ofSlice:)`, the thirds evaluation
    /// reports): with probability `pLiver / 3` each, the window is centred on a random liver voxel
    /// of that third; `pLesion` and the uniform rest as in `liverBiased`. A third without liver
    /// voxels (a liver one or two slices long) falls back to any liver voxel.
    case regionBalanced(pLiver: Double = 0.4, pLesion: Double = 0.3)

    /// config.json spells the mode as the CLI does: {"liver-biased": {"pLiver": 0.4, "pLesion": 0.3}},
    /// {"uniform": {}}; the Swift case names of earlier configs ("liverBiased") still read.
    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
    private struct Shares: Codable { var pLiver: Double; var pLesion: Double }
    private struct Empty: Codable {}

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        guard c.allKeys.count == 1, let key = c.allKeys.first else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "a sampling mode is one of uniform, liver-biased, region-balanced"))
        }
        switch key.stringValue {
        case "uniform": self = .uniform
        case "liver-biased", "liverBiased":
            let v = try c.decode(Shares.self, forKey: key)
            self = .liverBiased(pLiver: v.pLiver, pLesion: v.pLesion)
        case "region-balanced", "regionBalanced":
            let v = try c.decode(Shares.self, forKey: key)
            self = .regionBalanced(pLiver: v.pLiver, pLesion: v.pLesion)
        default:
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath + [key], debugDescription: "unknown sampling mode \(key.stringValue): uniform, liver-biased or region-balanced"))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        switch self {
        case .uniform: try c.encode(Empty(), forKey: Key(stringValue: "uniform"))
        case .liverBiased(let l, let t): try c.encode(Shares(pLiver: l, pLesion: t), forKey: Key(stringValue: "liver-biased"))
        case .regionBalanced(let l, let t): try c.encode(Shares(pLiver: l, pLesion: t), forKey: Key(stringValue: "region-balanced"))
        }
    }

    /// The liver and lesion probabilities of the liver-centred modes, nil for uniform.
    var probabilities: (pLiver: Double, pLesion: Double)? {
        switch self {
        case .uniform: return nil
        case .liverBiased(let pLiver, let pLesion), .regionBalanced(let pLiver, let pLesion): return (pLiver, pLesion)
        }
    }

    /// A readable reason when the probabilities are out of range, or nil.
    public var problem: String? {
        guard let (pLiver, pLesion) = probabilities else { return nil }
        guard pLiver >= 0, pLesion >= 0, pLiver.isFinite, pLesion.isFinite else {
            return "sampling probabilities must be non-negative (p_liver \(pLiver), p_lesion \(pLesion))"
        }
        guard pLiver + pLesion <= 1 + 1e-12 else {
            return "p_liver + p_lesion must not exceed 1 (got \(pLiver) + \(pLesion))"
        }
        return nil
    }
}

/// One training patch, in NIfTI order within the patch (`index = ii + w * (jj + h * kk)`), so it
/// is also the (D, H, W) row-major block of a tensor.
public struct SampledPatch: Sendable {
    public var image: [Float]
    /// Further input channels cut from the same window (the cascade's liver mask), padded with 0.
    public var extraChannels: [[Float]] = []
    public var labels: [UInt8]
    /// The volume voxel under the patch's first voxel. A coordinate is negative on an axis where
    /// the volume is smaller than the patch: the volume is then centred in the patch.
    public var origin: (k: Int, j: Int, i: Int)
    /// "liver", "lesion", "uniform", or with region-balanced sampling "top", "middle", "bottom":
    /// how the window was placed, after any fallback.
    public var kind: String
    public var size: PatchSize
    /// Voxels with label >= 1 and with label 2 inside the patch.
    public var liverVoxels: Int
    public var lesionVoxels: Int
}

/// What a sampler has produced: how many patches hold liver, lesion and each third of the
/// liver's extent along k (see `LiverExtent.region(ofSlice:)`).
public struct SamplerStats: Codable, Equatable, Sendable {
    public var patches = 0
    /// Patches holding at least one voxel with label >= 1.
    public var withLiver = 0
    /// Patches holding at least one voxel with label 2.
    public var withLesion = 0
    /// Patches whose slices overlap the top (superior), middle or bottom third of their case's
    /// liver extent. A patch can cover several thirds, or none.
    public var coveringTop = 0
    public var coveringMiddle = 0
    public var coveringBottom = 0
    /// Patches by placement: "liver", "lesion", "uniform", "top", "middle", "bottom".
    public var byKind: [String: Int] = [:]

    public init() {}

    private func share(_ n: Int) -> Double { patches == 0 ? 0 : Double(n) / Double(patches) }
    public var liverShare: Double { share(withLiver) }
    public var lesionShare: Double { share(withLesion) }
    public var topShare: Double { share(coveringTop) }
    public var middleShare: Double { share(coveringMiddle) }
    public var bottomShare: Double { share(coveringBottom) }
    /// Share of patches placed as `kind` (see `byKind`).
    public func share(ofKind kind: String) -> Double { share(byKind[kind, default: 0]) }

    public mutating func merge(_ other: SamplerStats) {
        patches += other.patches
        withLiver += other.withLiver
        withLesion += other.withLesion
        coveringTop += other.coveringTop
        coveringMiddle += other.coveringMiddle
        coveringBottom += other.coveringBottom
        byKind.merge(other.byKind, uniquingKeysWith: +)
    }

    public static func + (a: SamplerStats, b: SamplerStats) -> SamplerStats {
        var s = a
        s.merge(b)
        return s
    }
}

/// Where the liver and the lesions of one label map are: flat voxel indices (NIfTI order) of
/// every voxel with label >= 1 and with label 2, and the liver's extent along k. Built once per
/// case in one pass, so choosing a centre voxel is O(1).
public struct VoxelIndex: Sendable {
    public let shape: [Int]
    public let liver: [UInt32]
    public let lesion: [UInt32]
    public let extent: LiverExtent?
    /// The part of `liver` in each third of `extent` (`liver` runs in k order, so each third is
    /// one contiguous range).
    public let liverByRegion: [LiverRegion: Range<Int>]

    public init(labels: LabelMap) {
        precondition(labels.count <= Int(UInt32.max), "volume too large to index (\(labels.count) voxels)")
        shape = labels.shape
        let plane = labels.shape[0] * labels.shape[1]
        var liver: [UInt32] = [], lesion: [UInt32] = []
        var kMin = Int.max, kMax = -1
        labels.voxels.withUnsafeBufferPointer { p in
            for n in 0..<p.count where p[n] >= 1 {
                liver.append(UInt32(n))
                if p[n] == Label.tumor { lesion.append(UInt32(n)) }
                let k = n / plane
                kMin = min(kMin, k)
                kMax = max(kMax, k)
            }
        }
        self.liver = liver
        self.lesion = lesion
        let extent = kMax >= 0 ? LiverExtent(kMin: kMin, kMax: kMax) : nil
        self.extent = extent
        var ranges: [LiverRegion: Range<Int>] = [:]
        if let extent {
            var lower = 0
            for region in [LiverRegion.bottom, .middle, .top] {
                var upper = lower
                while upper < liver.count, extent.region(ofSlice: Double(Int(liver[upper]) / plane)) == region { upper += 1 }
                ranges[region] = lower..<upper
                lower = upper
            }
        }
        liverByRegion = ranges
    }
}

/// Draws training patches from a volume and its labels.
///
/// Every random choice (placement kind, centre voxel, window start) comes from the sampler's own
/// `SeededGenerator`, in a fixed order, so the same seed and the same calls give the same patches.
///
/// Windows are clamped inside the volume. On an axis where the volume is smaller than the patch,
/// the volume is centred in the patch and zero-padded (image `padValue`, labels 0): `(p - n) / 2`
/// voxels before and the rest after, the same split as the sliding window (and MONAI) uses at
/// inference, so the network sees padding where it will meet it.
public struct PatchSampler: Sendable {
    public var mode: SamplingMode
    public var size: PatchSize
    /// Image value of padding voxels (0 is the bottom of the normalised HU window).
    public var padValue: Float = 0
    private var rng: SeededGenerator
    private var cache: [String: VoxelIndex] = [:]

    /// The baseline's batch: 3 volumes, 4 patches from each.
    public static let baselineVolumesPerBatch = 3
    public static let baselinePatchesPerVolume = 4

    public init(mode: SamplingMode = .uniform, size: PatchSize = .baseline, seed: UInt64) {
        precondition(mode.problem == nil, mode.problem ?? "")
        precondition(size.d > 0 && size.h > 0 && size.w > 0, "patch sides must be positive, got \(size)")
        self.mode = mode
        self.size = size
        rng = SeededGenerator(seed: seed)
    }

    /// The voxel index of a case, built on first use and kept under `caseID` (rebuilt when the
    /// cached one has another shape). Without an id it is built every call.
    public mutating func index(for labels: LabelMap, caseID: String?) -> VoxelIndex {
        guard let caseID else { return VoxelIndex(labels: labels) }
        if let hit = cache[caseID], hit.shape == labels.shape { return hit }
        let built = VoxelIndex(labels: labels)
        cache[caseID] = built
        return built
    }

    /// Forgets every cached voxel index.
    public mutating func clearCache() { cache.removeAll() }

    /// `count` patches from one volume; `stats` is updated with each.
    /// `extraChannels` (on the image's grid) are cut from the same windows as further inputs.
    public mutating func sample(image: Volume<Float>, labels: LabelMap, count: Int, caseID: String? = nil,
                                extraChannels: [Volume<Float>] = [], stats: inout SamplerStats) -> [SampledPatch] {
        precondition(image.shape == labels.shape, "image \(image.shape) and labels \(labels.shape) differ in shape")
        precondition(extraChannels.allSatisfy { $0.shape == image.shape }, "extra channels must be on the image's grid")
        let index = index(for: labels, caseID: caseID)
        var patches: [SampledPatch] = []
        patches.reserveCapacity(count)
        for _ in 0..<count {
            let (origin, kind) = placeWindow(shape: image.shape, index: index)
            var patch = extract(image: image, labels: labels, origin: origin, kind: kind)
            patch.extraChannels = extraChannels.map { window(of: $0, origin: origin) }
            record(patch, extent: index.extent, into: &stats)
            patches.append(patch)
        }
        return patches
    }

    /// `count` patches from one volume, without statistics.
    public mutating func sample(image: Volume<Float>, labels: LabelMap, count: Int, caseID: String? = nil) -> [SampledPatch] {
        var stats = SamplerStats()
        return sample(image: image, labels: labels, count: count, caseID: caseID, stats: &stats)
    }

    // MARK: - Placement

    /// Start of a window of side `p` on an axis of length `n` centred (as far as the volume
    /// allows) on `center`.
    static func start(center: Int, n: Int, p: Int) -> Int {
        if n <= p { return -((p - n) / 2) }
        return min(max(center - p / 2, 0), n - p)
    }

    private mutating func uniformStart(n: Int, p: Int) -> Int {
        n <= p ? -((p - n) / 2) : Int.random(in: 0...(n - p), using: &rng)
    }

    private mutating func placeWindow(shape: [Int], index: VoxelIndex) -> (origin: (k: Int, j: Int, i: Int), kind: String) {
        let (nx, ny, nz) = (shape[0], shape[1], shape[2])
        var centre: Int? = nil
        var kind = "uniform"
        if let (pLiver, pLesion) = mode.probabilities {
            let u = Double.random(in: 0..<1, using: &rng)
            if u < pLiver + pLesion {
                if u >= pLiver, !index.lesion.isEmpty {
                    centre = Int(index.lesion[Int.random(in: 0..<index.lesion.count, using: &rng)])
                    kind = "lesion"
                } else if case .regionBalanced = mode, u < pLiver,
                          case let region = LiverRegion.allCases[Int.random(in: 0..<3, using: &rng)],
                          let range = index.liverByRegion[region], !range.isEmpty {
                    centre = Int(index.liver[Int.random(in: range, using: &rng)])
                    kind = region.rawValue
                } else if !index.liver.isEmpty {
                    centre = Int(index.liver[Int.random(in: 0..<index.liver.count, using: &rng)])
                    kind = "liver"
                }
            }
        }
        if let c = centre {
            let i = c % nx, j = (c / nx) % ny, k = c / (nx * ny)
            return ((Self.start(center: k, n: nz, p: size.d), Self.start(center: j, n: ny, p: size.h),
                     Self.start(center: i, n: nx, p: size.w)), kind)
        }
        let k = uniformStart(n: nz, p: size.d)
        let j = uniformStart(n: ny, p: size.h)
        let i = uniformStart(n: nx, p: size.w)
        return ((k, j, i), kind)
    }

    // MARK: - Extraction

    private func extract(image: Volume<Float>, labels: LabelMap, origin: (k: Int, j: Int, i: Int), kind: String) -> SampledPatch {
        let (nx, ny, nz) = (image.shape[0], image.shape[1], image.shape[2])
        let (d, h, w) = (size.d, size.h, size.w)
        var img = [Float](repeating: padValue, count: size.count)
        var lab = [UInt8](repeating: 0, count: size.count)
        var liverVoxels = 0, lesionVoxels = 0
        let i0 = max(origin.i, 0), i1 = min(origin.i + w, nx)
        if i0 < i1 {
            image.voxels.withUnsafeBufferPointer { src in
                labels.voxels.withUnsafeBufferPointer { srcLab in
                    img.withUnsafeMutableBufferPointer { dst in
                        lab.withUnsafeMutableBufferPointer { dstLab in
                            for kk in 0..<d {
                                let k = origin.k + kk
                                guard k >= 0 && k < nz else { continue }
                                for jj in 0..<h {
                                    let j = origin.j + jj
                                    guard j >= 0 && j < ny else { continue }
                                    let s = i0 + nx * (j + ny * k)
                                    let t = (i0 - origin.i) + w * (jj + h * kk)
                                    for n in 0..<(i1 - i0) {
                                        dst[t + n] = src[s + n]
                                        let l = srcLab[s + n]
                                        dstLab[t + n] = l
                                        if l >= 1 { liverVoxels += 1 }
                                        if l == Label.tumor { lesionVoxels += 1 }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return SampledPatch(image: img, labels: lab, origin: origin, kind: kind, size: size,
                            liverVoxels: liverVoxels, lesionVoxels: lesionVoxels)
    }

    /// The voxels of `v` under a window, 0 outside the volume.
    private func window(of v: Volume<Float>, origin: (k: Int, j: Int, i: Int)) -> [Float] {
        let (nx, ny, nz) = (v.shape[0], v.shape[1], v.shape[2])
        var out = [Float](repeating: 0, count: size.count)
        for kk in 0..<size.d { for jj in 0..<size.h { for ii in 0..<size.w {
            let k = origin.k + kk, j = origin.j + jj, i = origin.i + ii
            guard (0..<nz).contains(k), (0..<ny).contains(j), (0..<nx).contains(i) else { continue }
            out[ii + size.w * (jj + size.h * kk)] = v.voxels[i + nx * (j + ny * k)]
        } } }
        return out
    }

    private func record(_ patch: SampledPatch, extent: LiverExtent?, into stats: inout SamplerStats) {
        stats.patches += 1
        stats.byKind[patch.kind, default: 0] += 1
        if patch.liverVoxels > 0 { stats.withLiver += 1 }
        if patch.lesionVoxels > 0 { stats.withLesion += 1 }
        guard let extent else { return }
        let lo = max(patch.origin.k, extent.kMin), hi = min(patch.origin.k + patch.size.d - 1, extent.kMax)
        guard lo <= hi else { return }
        var top = false, middle = false, bottom = false
        for k in lo...hi {
            switch extent.region(ofSlice: Double(k)) {
            case .top: top = true
            case .middle: middle = true
            case .bottom: bottom = true
            }
        }
        if top { stats.coveringTop += 1 }
        if middle { stats.coveringMiddle += 1 }
        if bottom { stats.coveringBottom += 1 }
    }

    // MARK: - Batches

    /// Images (N, C, D, H, W), channel 0 the CT and then each patch's extra channels, and targets
    /// (N, 2, D, H, W): target channel 0 is label >= 1 (liver including tumor, the LiTS "liver"),
    /// channel 1 is label == 2 (lesion). With `targetChannels` 1 only the liver is targeted.
    public static func makeBatch(_ patches: [SampledPatch], size: PatchSize, targetChannels: Int = 2) -> (x: Tensor, y: Tensor) {
        precondition((1...2).contains(targetChannels), "targets are liver, or liver and lesion")
        let m = size.count
        let inChannels = 1 + (patches.first?.extraChannels.count ?? 0)
        var x = [Float](repeating: 0, count: patches.count * inChannels * m)
        var y = [Float](repeating: 0, count: patches.count * targetChannels * m)
        for (n, p) in patches.enumerated() {
            precondition(p.size == size && p.image.count == m && p.labels.count == m && p.extraChannels.count == inChannels - 1,
                         "patch \(n) is \(p.size) with \(1 + p.extraChannels.count) channels, the batch is \(size) with \(inChannels)")
            for (c, channel) in ([p.image] + p.extraChannels).enumerated() {
                let start = (n * inChannels + c) * m
                x.replaceSubrange(start..<(start + m), with: channel)
            }
            let liver = targetChannels * n * m, lesion = liver + m
            for v in 0..<m {
                let l = p.labels[v]
                if l >= 1 { y[liver + v] = 1 }
                if targetChannels == 2, l == Label.tumor { y[lesion + v] = 1 }
            }
        }
        return (Tensor(shape: [patches.count, inChannels, size.d, size.h, size.w], data: x),
                Tensor(shape: [patches.count, targetChannels, size.d, size.h, size.w], data: y))
    }
}
