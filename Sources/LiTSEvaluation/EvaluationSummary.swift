import Foundation

/// The dataset-level numbers of an evaluation report, computed from the per-case results.
public struct EvaluationSummary: Sendable {
    /// One third of the liver (or `outside`, predictions on slices above or below the true liver).
    public struct Region: Sendable {
        public var name: String
        public var meanLiverDice: Double?, medianLiverDice: Double?, meanLesionDice: Double?
        /// Cases where the region's liver and lesion Dice are defined (the means' counts).
        public var liverDiceDefined: Int, lesionDiceDefined: Int
        public var liverFP: Int, liverFN: Int, lesionFP: Int, lesionFN: Int
        public var errorVoxels: Int { liverFP + liverFN + lesionFP + lesionFN }
    }

    public struct SizeBucket: Sendable {
        public var label: String
        public var lesions: Int
        public var detected: Int
        public var recall: Double? { lesions == 0 ? nil : Double(detected) / Double(lesions) }
    }

    /// Global Dice (sums over cases), mean and median Dice per case, cases with both masks empty,
    /// mean surface distances: one structure.
    public struct Structure: Sendable {
        public var globalDice: Double?, meanDice: Double?, medianDice: Double?
        public var bothEmpty: Int
        public var meanASSD: Double?, meanHausdorff: Double?, meanHD95: Double?
        /// Mean normalized surface Dice over the cases where it is defined, and its tolerance.
        public var meanNSD: Double?, nsdTolerance: Double?
        /// How many cases each mean is over (cases where the metric is defined).
        public var diceDefined: Int, assdDefined: Int, hausdorffDefined: Int, hd95Defined: Int, nsdDefined: Int
    }

    public static let regionNames = ["top", "middle", "bottom"]
    public static let profileBins = 20
    public static let sizeBuckets: [(String, ClosedRange<Double>)] = [("< 10 mm", 0...9.999_999), ("10-20 mm", 10...20), ("> 20 mm", 20.000_001...1e9)]

    /// Every case given, in order: scored, scored as an empty prediction, or unscored.
    public var rows: [CaseRow]
    /// The cases in the means (those with metrics).
    public var cases: [CaseEvaluation]
    /// What was done with missing or refused predictions.
    public var missing: MissingPolicy
    public var liver: Structure
    public var lesion: Structure
    /// top, middle, bottom, outside.
    public var regions: [Region]
    /// The region (a third, or `outside` the true liver's slices) holding the most FP + FN
    /// voxels, when any, and its share of all of them.
    public var worstRegion: String?
    public var worstRegionShare: Double?
    /// Mean liver Dice per slice along the liver (0 inferior .. 1 superior), `profileBins` bins.
    public var profile: [Double?]
    public var sizes: [SizeBucket]
    public var truthLesions: Int, detectedLesions: Int
    public var predictedComponents: Int, falsePositiveComponents: Int
    public var recall: Double?, precision: Double?, f1: Double?
    /// Undetected lesions, largest first.
    public var missed: [(caseID: String, lesion: LesionMatch)]
    /// panoptica's instance metrics with TP, FP, FN and the matches pooled over all cases.
    public var instances: InstanceMetrics?
    /// The mean over cases of each case's PQ (cases where it is defined).
    public var meanCasePQ: Double?
    /// BraTS 2023 scores, merges and splits, per-lesion errors, per region.
    public var lesionWise: LesionWiseSummary

    /// Rows whose case was not scored from its own prediction (missing, refused, error).
    public var notScored: [CaseRow] { rows.filter { $0.status != .scored } }

    /// A summary of scored cases only (every row scored from its own prediction).
    public static func compute(_ cases: [CaseEvaluation]) -> EvaluationSummary {
        compute(cases.map(CaseRow.evaluated), missing: .zero)
    }

    public static func compute(_ rows: [CaseRow], missing: MissingPolicy) -> EvaluationSummary {
        let cases = rows.compactMap(\.evaluation)
        func structure(_ m: [StructureMetrics]) -> Structure {
            let tp = m.reduce(0) { $0 + $1.tp }, fp = m.reduce(0) { $0 + $1.fp }, fn = m.reduce(0) { $0 + $1.fn }
            return Structure(globalDice: 2 * tp + fp + fn == 0 ? nil : 2 * Double(tp) / Double(2 * tp + fp + fn),
                             meanDice: nanMean(m.map(\.dice)), medianDice: median(m.map(\.dice)),
                             bothEmpty: m.filter { $0.dice.isNaN }.count,
                             meanASSD: nanMean(m.compactMap(\.assd)), meanHausdorff: nanMean(m.compactMap(\.hausdorff)),
                             meanHD95: nanMean(m.compactMap(\.hd95)),
                             meanNSD: nanMean(m.compactMap(\.nsd)), nsdTolerance: m.compactMap(\.nsdTolerance).first,
                             diceDefined: defined(m.map(\.dice)), assdDefined: defined(m.compactMap(\.assd)),
                             hausdorffDefined: defined(m.compactMap(\.hausdorff)), hd95Defined: defined(m.compactMap(\.hd95)),
                             nsdDefined: defined(m.compactMap(\.nsd)))
        }
        let regions = (regionNames + ["outside"]).map { r -> Region in
            let rs = cases.flatMap { $0.regions.filter { $0.region == r } }
            return Region(name: r, meanLiverDice: nanMean(rs.map(\.liverDice)), medianLiverDice: median(rs.map(\.liverDice)),
                          meanLesionDice: nanMean(rs.map(\.lesionDice)),
                          liverDiceDefined: defined(rs.map(\.liverDice)), lesionDiceDefined: defined(rs.map(\.lesionDice)),
                          liverFP: rs.reduce(0) { $0 + $1.liverFP }, liverFN: rs.reduce(0) { $0 + $1.liverFN },
                          lesionFP: rs.reduce(0) { $0 + $1.lesionFP }, lesionFN: rs.reduce(0) { $0 + $1.lesionFN })
        }
        // Every region, "outside" included: predictions beyond the true liver are error too.
        let worst = regions.max { $0.errorVoxels < $1.errorVoxels }
        let allError = regions.reduce(0) { $0 + $1.errorVoxels }
        var bins = [[Double]](repeating: [], count: profileBins)
        for c in cases {
            for (n, d) in c.liverSliceDice.enumerated() where !d.isNaN {
                let pos = (Double(n) + 0.5) / Double(c.liverSliceDice.count)
                bins[min(profileBins - 1, Int(pos * Double(profileBins)))].append(d)
            }
        }
        let allLesions = cases.flatMap(\.lesions)
        let sizes = sizeBuckets.map { b -> SizeBucket in
            let inBucket = allLesions.filter { b.1.contains($0.equivalentDiameterMM) }
            return SizeBucket(label: b.0, lesions: inBucket.count, detected: inBucket.filter(\.detected).count)
        }
        let detected = allLesions.filter(\.detected).count
        let predicted = cases.reduce(0) { $0 + $1.predictedLesionComponents }
        let falsePositive = cases.reduce(0) { $0 + $1.falsePositiveLesionComponents }
        let recall = allLesions.isEmpty ? nil : Double(detected) / Double(allLesions.count)
        let precision = predicted == 0 ? nil : Double(predicted - falsePositive) / Double(predicted)
        let f1 = (recall != nil && precision != nil && recall! + precision! > 0) ? 2 * recall! * precision! / (recall! + precision!) : nil
        let missed = cases.flatMap { c in c.lesions.filter { !$0.detected }.map { (caseID: c.id, lesion: $0) } }
            .sorted { $0.lesion.voxels > $1.lesion.voxels }
        return EvaluationSummary(rows: rows, cases: cases, missing: missing, liver: structure(cases.map(\.liver)), lesion: structure(cases.map(\.lesion)),
                                 regions: regions, worstRegion: worst.flatMap { $0.errorVoxels > 0 ? $0.name : nil },
                                 worstRegionShare: worst.flatMap { allError > 0 ? Double($0.errorVoxels) / Double(allError) : nil },
                                 profile: bins.map(nanMean), sizes: sizes, truthLesions: allLesions.count, detectedLesions: detected,
                                 predictedComponents: predicted, falsePositiveComponents: falsePositive,
                                 recall: recall, precision: precision, f1: f1, missed: missed,
                                 instances: pooled(cases.compactMap(\.instances)), meanCasePQ: nanMean(cases.compactMap { $0.instances?.pq }),
                                 lesionWise: LesionWiseSummary.compute(cases))
    }

    /// Instance metrics of all cases' lesions together.
    static func pooled(_ m: [InstanceMetrics]) -> InstanceMetrics? {
        guard !m.isEmpty else { return nil }
        return InstanceMetrics(matches: m.flatMap(\.matches), predicted: m.reduce(0) { $0 + $1.tp + $1.fp },
                               reference: m.reduce(0) { $0 + $1.tp + $1.fn })
    }

    public func region(_ name: String) -> Region? { regions.first { $0.name == name } }

    /// How many values are defined (not NaN).
    static func defined(_ xs: [Double]) -> Int { xs.filter { !$0.isNaN }.count }

    static func nanMean(_ xs: [Double]) -> Double? {
        let v = xs.filter { !$0.isNaN }
        return v.isEmpty ? nil : v.reduce(0, +) / Double(v.count)
    }

    static func median(_ xs: [Double]) -> Double? {
        let v = xs.filter { !$0.isNaN }.sorted()
        guard !v.isEmpty else { return nil }
        return v.count % 2 == 1 ? v[v.count / 2] : (v[v.count / 2 - 1] + v[v.count / 2]) / 2
    }
}
