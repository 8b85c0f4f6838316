import Foundation

/// The lesion-wise metrics of one third of the liver (or `outside` it): truth lesions by the
/// region of their centroid slice, predicted components by theirs.
public struct RegionLesionMetrics: Codable, Equatable, Sendable {
    public var region: String
    /// Truth lesions (26-connected) and those detected (the report's Dice >= 0.5 rule).
    public var lesions: Int, detected: Int
    /// Predicted components and those overlapping no detected lesion.
    public var predictedComponents: Int, falsePositiveComponents: Int
    /// Predicted components over two or more truth lesions; truth lesions under two or more
    /// predicted components.
    public var merges: Int, splits: Int
    /// panoptica's matching: a match counts in the region of its truth lesion.
    public var instances: InstanceMetrics
    /// BraTS 2023 lesion-wise Dice and HD95 of the region's counted lesions and false positives.
    public var bratsTP: Int, bratsFN: Int, bratsFP: Int
    public var bratsDice: Double, bratsHD95: Double

    public var recall: Double? { lesions == 0 ? nil : Double(detected) / Double(lesions) }
    public var precision: Double? {
        predictedComponents == 0 ? nil : Double(predictedComponents - falsePositiveComponents) / Double(predictedComponents)
    }

    /// One region's metrics from a case's per-lesion results. Region arrays hold each truth
    /// lesion's and each predicted component's region (element n - 1 for component n).
    static func compute(region r: String, lesions: [LesionMatch], predictionRegions: [String],
                        detectedPredictions: Set<Int>, mergingPredictions: Set<Int>,
                        instances: InstanceMetrics, brats: BraTSLesionWise) -> RegionLesionMetrics {
        let mine = lesions.filter { $0.region == r }
        let preds = predictionRegions.indices.filter { predictionRegions[$0] == r }.map { $0 + 1 }
        let truthRegion = Dictionary(uniqueKeysWithValues: lesions.map { ($0.id, $0.region) })
        let matches = instances.matches.filter { truthRegion[$0.reference] == r }
        let matchedPreds = Set(instances.matches.map(\.prediction))
        let unmatchedPreds = preds.filter { !matchedPreds.contains($0) }.count
        let regionInstances = InstanceMetrics(matches: matches, predicted: matches.count + unmatchedPreds, reference: mine.count)
        let counted = brats.lesions.filter { $0.counted && $0.region == r }
        let fp = brats.falsePositiveRegions.filter { $0 == r }.count
        let (dice, hd95) = BraTSLesionWise.score(counted, falsePositives: fp)
        return RegionLesionMetrics(region: r, lesions: mine.count, detected: mine.filter(\.detected).count,
                                   predictedComponents: preds.count,
                                   falsePositiveComponents: preds.filter { !detectedPredictions.contains($0) }.count,
                                   merges: preds.filter { mergingPredictions.contains($0) }.count,
                                   splits: mine.filter { ($0.predictedComponents ?? 0) >= 2 }.count,
                                   instances: regionInstances,
                                   bratsTP: counted.filter { !$0.predictions.isEmpty }.count,
                                   bratsFN: counted.filter { $0.predictions.isEmpty }.count, bratsFP: fp,
                                   bratsDice: dice, bratsHD95: hd95)
    }
}
