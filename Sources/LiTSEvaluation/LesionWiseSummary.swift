import Foundation

/// The dataset-level lesion-wise numbers of an evaluation report: BraTS 2023 scores, merges and
/// splits, the errors of the detected lesions, and all of them per region of the liver.
public struct LesionWiseSummary: Sendable {
    /// One region's lesion-wise numbers, pooled over the cases.
    public struct Region: Sendable {
        public var name: String
        public var lesions: Int, detected: Int, predictedComponents: Int, falsePositiveComponents: Int
        public var merges: Int, splits: Int
        public var instances: InstanceMetrics
        public var bratsTP: Int, bratsFN: Int, bratsFP: Int
        /// BraTS's Dice and HD95 over all the region's TP + FN + FP lesions of all cases (nil
        /// when there are none).
        public var bratsDice: Double?, bratsHD95: Double?
        public var recall: Double? { lesions == 0 ? nil : Double(detected) / Double(lesions) }
        public var precision: Double? {
            predictedComponents == 0 ? nil : Double(predictedComponents - falsePositiveComponents) / Double(predictedComponents)
        }
    }

    public var merges: Int, splits: Int
    /// BraTS's ranking numbers: the mean over cases of each case's lesion-wise Dice and HD95.
    public var bratsMeanDice: Double?, bratsMeanHD95: Double?
    /// Over all cases' lesions together.
    public var bratsPooledDice: Double?, bratsPooledHD95: Double?
    public var bratsTP: Int, bratsFN: Int, bratsFP: Int
    /// Over the detected lesions: mean signed and absolute volume error (mL) and longest in-plane
    /// diameter error (mm), predicted - truth.
    public var meanVolumeErrorML: Double?, meanAbsVolumeErrorML: Double?
    public var meanDiameterErrorMM: Double?, meanAbsDiameterErrorMM: Double?
    /// top, middle, bottom, outside.
    public var regions: [Region]

    public static func compute(_ cases: [CaseEvaluation]) -> LesionWiseSummary {
        let brats = cases.compactMap(\.brats)
        let n = brats.reduce(0) { $0 + $1.tp + $1.fn + $1.fp }
        func weighted(_ value: (BraTSLesionWise) -> Double) -> Double? {
            n == 0 ? nil : brats.reduce(0) { $0 + value($1) * Double($1.tp + $1.fn + $1.fp) } / Double(n)
        }
        let found = cases.flatMap(\.lesions).filter(\.detected)
        func mean(_ xs: [Double]) -> Double? { xs.isEmpty ? nil : xs.reduce(0, +) / Double(xs.count) }
        let volume = found.compactMap(\.volumeErrorML), diameter = found.compactMap(\.diameterErrorMM)
        let regions = (EvaluationSummary.regionNames + ["outside"]).map { r -> Region in
            let rs = cases.flatMap { $0.lesionRegions ?? [] }.filter { $0.region == r }
            func sum(_ k: KeyPath<RegionLesionMetrics, Int>) -> Int { rs.reduce(0) { $0 + $1[keyPath: k] } }
            let count = sum(\.bratsTP) + sum(\.bratsFN) + sum(\.bratsFP)
            func pooled(_ k: KeyPath<RegionLesionMetrics, Double>) -> Double? {
                count == 0 ? nil : rs.reduce(0) { $0 + $1[keyPath: k] * Double($1.bratsTP + $1.bratsFN + $1.bratsFP) } / Double(count)
            }
            let inst = rs.map(\.instances)
            return Region(name: r, lesions: sum(\.lesions), detected: sum(\.detected), predictedComponents: sum(\.predictedComponents),
                          falsePositiveComponents: sum(\.falsePositiveComponents), merges: sum(\.merges), splits: sum(\.splits),
                          instances: InstanceMetrics(matches: inst.flatMap(\.matches), predicted: inst.reduce(0) { $0 + $1.tp + $1.fp },
                                                     reference: inst.reduce(0) { $0 + $1.tp + $1.fn }),
                          bratsTP: sum(\.bratsTP), bratsFN: sum(\.bratsFN), bratsFP: sum(\.bratsFP),
                          bratsDice: pooled(\.bratsDice), bratsHD95: pooled(\.bratsHD95))
        }
        return LesionWiseSummary(merges: cases.reduce(0) { $0 + ($1.merges ?? 0) }, splits: cases.reduce(0) { $0 + ($1.splits ?? 0) },
                                 bratsMeanDice: mean(brats.map(\.dice)), bratsMeanHD95: mean(brats.map(\.hd95)),
                                 bratsPooledDice: weighted(\.dice), bratsPooledHD95: weighted(\.hd95),
                                 bratsTP: brats.reduce(0) { $0 + $1.tp }, bratsFN: brats.reduce(0) { $0 + $1.fn },
                                 bratsFP: brats.reduce(0) { $0 + $1.fp },
                                 meanVolumeErrorML: mean(volume), meanAbsVolumeErrorML: mean(volume.map(abs)),
                                 meanDiameterErrorMM: mean(diameter), meanAbsDiameterErrorMM: mean(diameter.map(abs)),
                                 regions: regions)
    }

    public func region(_ name: String) -> Region? { regions.first { $0.name == name } }
}
