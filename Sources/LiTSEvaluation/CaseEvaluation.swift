import Foundation
import LiTSCore
import LiTSImaging
import LiTSRender

/// Metrics of one structure (liver = label >= 1, lesion = label 2) in one case.
///
/// Empty masks, one rule per metric (as nnU-Net and MONAI document theirs):
/// - Dice and Jaccard: both empty -> NaN (left out of means, counted in `bothEmpty`); one empty -> 0.
/// - volume overlap error: 1 - Jaccard (NaN when both are empty).
/// - relative volume difference (pred - truth) / truth: NaN when the truth is empty.
/// - surface distances (ASSD, Hausdorff, HD95): missing (nil) when either side is empty, never 0.
public struct StructureMetrics: Codable, Equatable, Sendable {
    public var tp: Int, fp: Int, fn: Int
    public var dice: Double
    public var jaccard: Double
    public var volumeOverlapError: Double
    public var relativeVolumeDifference: Double
    public var assd: Double?
    public var hausdorff: Double?
    public var hd95: Double?
    /// Normalized surface Dice at `nsdTolerance` mm (MONAI's `compute_surface_dice`): nil when
    /// both masks are empty (or surfaces were skipped), 0 when one is.
    public var nsd: Double?
    public var nsdTolerance: Double?

    public init(pred: [Bool], truth: [Bool], shape: [Int], spacing: [Double], surfaces: Bool = true, nsdTolerance: Double = 2) {
        let c = OverlapCounts(pred: pred, truth: truth)
        tp = c.tp; fp = c.fp; fn = c.fn
        dice = Metrics.dice(c)
        jaccard = c.unionVoxels == 0 ? .nan : Double(c.tp) / Double(c.unionVoxels)
        volumeOverlapError = 1 - jaccard
        relativeVolumeDifference = c.truthVoxels == 0 ? .nan : Double(c.predVoxels - c.truthVoxels) / Double(c.truthVoxels)
        guard surfaces else { return }
        // Distances in Double, so that NSD's "<= tolerance" decides ties as MONAI's float64 EDT does.
        let directed = Metrics.directedSurfaceDistances(pred: pred, truth: truth, shape: shape, spacing: spacing, exactDistances: true)
        if let (a, b) = directed {
            let s = SurfaceDistances(predToTruth: a, truthToPred: b)
            assd = s.assd; hausdorff = s.hausdorff; hd95 = s.hd95
        }
        nsd = Metrics.normalizedSurfaceDice(directed, predEmpty: c.predVoxels == 0, truthEmpty: c.truthVoxels == 0, tolerance: nsdTolerance)
        if nsd != nil { self.nsdTolerance = nsdTolerance }
    }

    enum CodingKeys: String, CodingKey {
        case tp, fp, fn, dice, jaccard, volumeOverlapError, relativeVolumeDifference, assd, hausdorff, hd95, nsd, nsdTolerance
    }

    /// Every metric is written, a metric that is not defined as NaN (`EvaluationJSON` writes
    /// null): a reader sees `"assd": null`, not a missing key.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(tp, forKey: .tp); try c.encode(fp, forKey: .fp); try c.encode(fn, forKey: .fn)
        try c.encode(dice, forKey: .dice); try c.encode(jaccard, forKey: .jaccard)
        try c.encode(volumeOverlapError, forKey: .volumeOverlapError); try c.encode(relativeVolumeDifference, forKey: .relativeVolumeDifference)
        for (value, key) in [(assd, CodingKeys.assd), (hausdorff, .hausdorff), (hd95, .hd95), (nsd, .nsd)] {
            try c.encode(value ?? .nan, forKey: key)
        }
        try c.encodeIfPresent(nsdTolerance, forKey: .nsdTolerance)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func optional(_ key: CodingKeys) throws -> Double? { try c.decodeIfPresent(Double.self, forKey: key).flatMap { $0.isNaN ? nil : $0 } }
        tp = try c.decode(Int.self, forKey: .tp); fp = try c.decode(Int.self, forKey: .fp); fn = try c.decode(Int.self, forKey: .fn)
        dice = try c.decode(Double.self, forKey: .dice); jaccard = try c.decode(Double.self, forKey: .jaccard)
        volumeOverlapError = try c.decode(Double.self, forKey: .volumeOverlapError)
        relativeVolumeDifference = try c.decode(Double.self, forKey: .relativeVolumeDifference)
        assd = try optional(.assd); hausdorff = try optional(.hausdorff); hd95 = try optional(.hd95); nsd = try optional(.nsd)
        nsdTolerance = try optional(.nsdTolerance)
    }
}

/// Metrics inside one third of the liver (or outside the liver's slices).
public struct RegionMetrics: Codable, Equatable, Sendable {
    public var region: String        // top, middle, bottom, outside
    public var liverDice: Double, liverFP: Int, liverFN: Int
    public var lesionDice: Double, lesionFP: Int, lesionFN: Int
}

/// One truth lesion and whether it was found.
public struct LesionMatch: Codable, Equatable, Sendable {
    public var id: Int
    public var voxels: Int
    public var equivalentDiameterMM: Double
    public var region: String?
    public var detected: Bool
    /// Dice of the lesion against the predicted components overlapping it.
    public var dice: Double
    /// Predicted components overlapping it (two or more: a split).
    public var predictedComponents: Int?
    /// Of a detected lesion: the voxels of the predicted components overlapping it, their volume
    /// minus the lesion's (mL), and the longest in-plane diameters (mm, see `LesionDiameter`)
    /// of the lesion and of those components, and their difference (predicted - truth).
    public var predictedVoxels: Int?
    public var volumeErrorML: Double?
    public var diameterMM: Double?
    public var predictedDiameterMM: Double?
    public var diameterErrorMM: Double?
}

public struct CaseEvaluation: Codable, Equatable, Sendable {
    public var id: String
    public var prediction: String
    public var liver: StructureMetrics
    public var lesion: StructureMetrics
    public var regions: [RegionMetrics]
    public var lesions: [LesionMatch]
    public var predictedLesionComponents: Int
    /// Predicted components that overlap no detected truth lesion.
    public var falsePositiveLesionComponents: Int
    /// Liver Dice per canonical slice of the truth liver's extent, inferior to superior.
    public var liverSliceDice: [Double]
    public var liverExtent: LiverExtent?
    /// panoptica's instance metrics of the lesions (26-connected, matched at IoU > 0.5).
    public var instances: InstanceMetrics?
    /// Predicted components over two or more truth lesions (merges) and truth lesions under two
    /// or more predicted components (splits), 26-connected.
    public var merges: Int?
    public var splits: Int?
    /// BraTS 2023 lesion-wise Dice and HD95.
    public var brats: BraTSLesionWise?
    /// Everything lesion-wise per third of the liver (and outside it).
    public var lesionRegions: [RegionLesionMetrics]?
    /// nil: scored from its own prediction. Otherwise why it was not (missing, refused), with
    /// `reason`; such a case was scored as an empty prediction (`--missing zero`).
    public var status: CaseStatus?
    public var reason: String?

    /// The row's status: `scored` unless the prediction was missing or refused.
    public var rowStatus: CaseStatus { status ?? .scored }
}

/// What became of one truth case in an evaluation.
public enum CaseStatus: String, Codable, Sendable {
    /// Scored from its own prediction.
    case scored
    /// No prediction file (or `lits predict` recorded the case as failed).
    case missing
    /// A prediction that fails a check: another grid, an unreadable or invalid file.
    case refused
    /// The truth case itself could not be read: nothing can be scored.
    case error
}

/// What `lits evaluate` does with a case whose prediction is missing or refused.
public enum MissingPolicy: String, Codable, CaseIterable, Sendable {
    /// Scored as an empty prediction (all background), as a challenge scores a missing file.
    case zero
    /// Left out of the means and listed above them.
    case skip
}

/// A case with no metrics: skipped (`--missing skip`) or its truth could not be read.
public struct UnscoredCase: Codable, Equatable, Sendable {
    public var id: String
    public var status: CaseStatus
    public var reason: String
    public init(id: String, status: CaseStatus, reason: String) { (self.id, self.status, self.reason) = (id, status, reason) }
}

/// One row of the report: every truth case given is one, scored or not. In `evaluation.json` a
/// scored row is a `CaseEvaluation` object, an unscored one `{id, status, reason}`.
public enum CaseRow: Codable, Equatable, Sendable {
    case evaluated(CaseEvaluation)
    case unscored(UnscoredCase)

    public var id: String {
        switch self { case .evaluated(let e): return e.id; case .unscored(let u): return u.id }
    }
    public var status: CaseStatus {
        switch self { case .evaluated(let e): return e.rowStatus; case .unscored(let u): return u.status }
    }
    public var reason: String? {
        switch self { case .evaluated(let e): return e.reason; case .unscored(let u): return u.reason }
    }
    public var evaluation: CaseEvaluation? {
        if case .evaluated(let e) = self { return e }
        return nil
    }

    enum Probe: String, CodingKey { case liver }

    public init(from decoder: Decoder) throws {
        let probe = try decoder.container(keyedBy: Probe.self)
        self = probe.contains(.liver) ? .evaluated(try CaseEvaluation(from: decoder)) : .unscored(try UnscoredCase(from: decoder))
    }

    public func encode(to encoder: Encoder) throws {
        switch self { case .evaluated(let e): try e.encode(to: encoder); case .unscored(let u): try u.encode(to: encoder) }
    }
}

public struct EvaluationOptions: Codable, Equatable, Sendable {
    /// A truth lesion counts as detected when the predicted components overlapping it reach this
    /// Dice with it; `anyOverlap` makes any overlap enough.
    public var detectionDice = 0.5
    public var anyOverlap = false
    /// Thirds of the liver by slices (default) or by liver volume.
    public var regionsByVolume = false
    public var surfaces = true
    /// Normalized surface Dice tolerances, mm.
    public var nsdToleranceLiver = 2.0
    public var nsdToleranceLesion = 2.0
    /// BraTS lesion-wise metrics: dilation of the truth lesions (voxels) and the volume (mm3) at
    /// or below which truth lesions are left out; BraTS-MET's values.
    public var bratsDilation = 1
    public var bratsMinVolumeMM3 = 2.0
    /// A case whose prediction is missing or refused: scored as empty, or left out of the means.
    public var missing = MissingPolicy.zero
    /// The format of the report's figures (`--figures`; nil: PNG, as before the option). Kept in a
    /// shard's record, so `merge` draws the report's charts as the shards were asked to.
    public var figures: FigureFormat?

    public init() {}
}

public enum CaseEvaluator {
    /// Both label maps on the same canonical grid (see `Reorientation`).
    public static func evaluate(id: String, predictionPath: String, truth: LabelMap, prediction: LabelMap,
                                options: EvaluationOptions = EvaluationOptions()) -> CaseEvaluation {
        let shape = truth.shape, spacing = truth.grid.spacing
        let tLiver = truth.voxels.map { $0 >= 1 }, pLiver = prediction.voxels.map { $0 >= 1 }
        let tLesion = truth.voxels.map { $0 == 2 }, pLesion = prediction.voxels.map { $0 == 2 }
        let liver = StructureMetrics(pred: pLiver, truth: tLiver, shape: shape, spacing: spacing, surfaces: options.surfaces,
                                     nsdTolerance: options.nsdToleranceLiver)
        let lesion = StructureMetrics(pred: pLesion, truth: tLesion, shape: shape, spacing: spacing, surfaces: options.surfaces,
                                      nsdTolerance: options.nsdToleranceLesion)
        let extent = LiverExtent(labels: truth)
        let regions = extent.map { regionMetrics(truth: truth, prediction: prediction, extent: $0, byVolume: options.regionsByVolume) } ?? []
        let d = detect(truth: truth, prediction: prediction, extent: extent, options: options)
        var profile: [Double] = []
        if let extent {
            let plane = shape[0] * shape[1]
            for k in extent.kMin...extent.kMax {
                var tp = 0, t = 0, p = 0
                for n in (k * plane)..<((k + 1) * plane) {
                    if tLiver[n] { t += 1 }
                    if pLiver[n] { p += 1; if tLiver[n] { tp += 1 } }
                }
                profile.append(Dice.coefficient(intersection: tp, sizeA: p, sizeB: t))
            }
        }
        return CaseEvaluation(id: id, prediction: predictionPath, liver: liver, lesion: lesion, regions: regions, lesions: d.matches,
                              predictedLesionComponents: d.predicted, falsePositiveLesionComponents: d.falsePositives,
                              liverSliceDice: profile, liverExtent: extent, instances: d.instances,
                              merges: d.merges, splits: d.splits, brats: d.brats, lesionRegions: d.regions)
    }

    /// The region of each slice: thirds of the truth liver's extent by slices, or by liver volume
    /// (each third holding a third of the liver voxels); slices outside the extent are "outside".
    static func sliceRegions(truth: LabelMap, extent: LiverExtent, byVolume: Bool) -> [String] {
        let nz = truth.shape[2], plane = truth.shape[0] * truth.shape[1]
        var out = [String](repeating: "outside", count: nz)
        if !byVolume {
            for k in extent.kMin...extent.kMax { out[k] = extent.region(ofSlice: Double(k)).rawValue }
            return out
        }
        let perSlice = (0..<nz).map { k in truth.voxels[(k * plane)..<((k + 1) * plane)].reduce(0) { $0 + ($1 >= 1 ? 1 : 0) } }
        let total = Double(perSlice.reduce(0, +))
        var seen = 0.0
        for k in extent.kMin...extent.kMax {
            let centre = (seen + Double(perSlice[k]) / 2) / total
            out[k] = centre < 1.0 / 3 ? "bottom" : (centre < 2.0 / 3 ? "middle" : "top")
            seen += Double(perSlice[k])
        }
        return out
    }

    static func regionMetrics(truth: LabelMap, prediction: LabelMap, extent: LiverExtent, byVolume: Bool) -> [RegionMetrics] {
        let regionOf = sliceRegions(truth: truth, extent: extent, byVolume: byVolume)
        let plane = truth.shape[0] * truth.shape[1]
        var acc: [String: [Int]] = [:]  // liver tp fp fn, lesion tp fp fn
        for k in 0..<truth.shape[2] {
            var a = acc[regionOf[k], default: [0, 0, 0, 0, 0, 0]]
            for n in (k * plane)..<((k + 1) * plane) {
                let t = truth.voxels[n], p = prediction.voxels[n]
                if t >= 1 && p >= 1 { a[0] += 1 } else if p >= 1 { a[1] += 1 } else if t >= 1 { a[2] += 1 }
                if t == 2 && p == 2 { a[3] += 1 } else if p == 2 { a[4] += 1 } else if t == 2 { a[5] += 1 }
            }
            acc[regionOf[k]] = a
        }
        func dice(_ tp: Int, _ fp: Int, _ fn: Int) -> Double { Dice.coefficient(tp: tp, fp: fp, fn: fn) }
        return ["top", "middle", "bottom", "outside"].compactMap { r in
            guard let a = acc[r] else { return nil }
            return RegionMetrics(region: r, liverDice: dice(a[0], a[1], a[2]), liverFP: a[1], liverFN: a[2],
                                 lesionDice: dice(a[3], a[4], a[5]), lesionFP: a[4], lesionFN: a[5])
        }
    }

    struct Detection {
        var matches: [LesionMatch], predicted: Int, falsePositives: Int
        var instances: InstanceMetrics, merges: Int, splits: Int, brats: BraTSLesionWise
        var regions: [RegionLesionMetrics]
    }

    /// The flat voxel indices of each component (element n - 1 for component n).
    static func componentVoxels(_ c: ComponentLabels) -> [[Int]] {
        var out = [[Int]](repeating: [], count: c.count)
        c.labels.withUnsafeBufferPointer { p in
            for n in 0..<p.count where p[n] != 0 { out[Int(p[n]) - 1].append(n) }
        }
        return out
    }

    /// Lesion detection by 3D components (26-connected) of truth and prediction, with the
    /// per-lesion errors, merges and splits, panoptica's and BraTS's lesion-wise metrics, and
    /// all of them per region.
    static func detect(truth: LabelMap, prediction: LabelMap, extent: LiverExtent?, options: EvaluationOptions) -> Detection {
        let tc = ConnectedComponents.label(truth, value: 2, connectivity: .twentySix)
        let pc = ConnectedComponents.label(prediction, value: 2, connectivity: .twentySix)
        let tStats = ConnectedComponents.statistics(tc)
        let pStats = ConnectedComponents.statistics(pc)
        let tVoxels = componentVoxels(tc), pVoxels = componentVoxels(pc)
        let shape = truth.shape, spacing = truth.grid.spacing
        // Overlap counts between truth lesion t and predicted component p.
        var overlap: [Int: [Int32: Int]] = [:]
        var truthsUnder: [Int32: Set<Int>] = [:]
        for (t, voxels) in tVoxels.enumerated() {
            for n in voxels where pc.labels[n] > 0 {
                overlap[t + 1, default: [:]][pc.labels[n], default: 0] += 1
                truthsUnder[pc.labels[n], default: []].insert(t + 1)
            }
        }
        func region(_ k: Double) -> String? {
            guard let extent else { return nil }
            if k < Double(extent.kMin) - 0.5 || k > Double(extent.kMax) + 0.5 { return "outside" }
            return extent.region(ofSlice: k).rawValue
        }
        var detectedPred = Set<Int32>()
        let voxelML = truth.grid.voxelVolumeML
        let matches: [LesionMatch] = tStats.map { s in
            let t = Int(s.label)
            let hits = overlap[t] ?? [:]
            let inter = hits.values.reduce(0, +)
            let predVoxels = hits.keys.reduce(0) { $0 + pStats[Int($1) - 1].voxelCount }
            let dice = Dice.coefficient(intersection: inter, sizeA: predVoxels, sizeB: s.voxelCount)
            let found = options.anyOverlap ? inter > 0 : (inter > 0 && dice >= options.detectionDice)
            if found { detectedPred.formUnion(hits.keys) }
            let volume = Double(s.voxelCount) * voxelML
            var m = LesionMatch(id: t, voxels: s.voxelCount, equivalentDiameterMM: pow(6 * volume * 1000 / Double.pi, 1.0 / 3),
                                region: region(s.centroid[2]), detected: found, dice: dice, predictedComponents: hits.count)
            if found {
                let own = LesionDiameter.longestInPlane(tVoxels[t - 1], shape: shape, spacing: spacing)
                let predicted = LesionDiameter.longestInPlane(hits.keys.sorted().flatMap { pVoxels[Int($0) - 1] },
                                                              shape: shape, spacing: spacing)
                m.predictedVoxels = predVoxels
                m.volumeErrorML = Double(predVoxels - s.voxelCount) * voxelML
                m.diameterMM = own
                m.predictedDiameterMM = predicted
                m.diameterErrorMM = predicted - own
            }
            return m
        }
        let merging = Set(truthsUnder.filter { $0.value.count >= 2 }.map { Int($0.key) })
        let instances = InstanceMetrics(prediction: pc, reference: tc)
        let brats = BraTSLesionWise.compute(truth: tc, prediction: pc, truthVoxels: tVoxels, predictionVoxels: pVoxels,
                                            spacing: spacing, dilation: options.bratsDilation,
                                            minVolumeMM3: options.bratsMinVolumeMM3, region: region)
        let predRegions = pStats.map { region($0.centroid[2]) ?? "" }
        let detectedInts = Set(detectedPred.map { Int($0) })
        let regions = extent == nil ? [] : (EvaluationSummary.regionNames + ["outside"]).map {
            RegionLesionMetrics.compute(region: $0, lesions: matches, predictionRegions: predRegions, detectedPredictions: detectedInts,
                                        mergingPredictions: merging, instances: instances, brats: brats)
        }
        return Detection(matches: matches, predicted: pc.count, falsePositives: pc.count - detectedPred.count, instances: instances,
                         merges: merging.count, splits: matches.filter { ($0.predictedComponents ?? 0) >= 2 }.count,
                         brats: brats, regions: regions)
    }
}
