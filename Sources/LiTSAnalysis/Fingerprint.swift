import Foundation

/// The dataset fingerprint in the spirit of nnU-Net's `dataset_fingerprint.json`: exactly the
/// numbers a planner needs. Spacings and shapes are of the canonical (RAS+) grid, as (x, y, z).
public struct Fingerprint: Codable, Equatable, Sendable {
    public struct Intensity: Codable, Equatable, Sendable {
        public var voxels: Int
        public var mean: Double
        public var median: Double
        public var std: Double
        public var min: Double
        public var max: Double
        public var percentile_00_5: Double
        public var percentile_99_5: Double
    }

    public var cases: [String]
    public var spacings: [[Double]]
    public var shapes: [[Int]]
    public var medianSpacing: [Double]
    public var suggestedTargetSpacing: [Double]
    public var targetSpacingRule: String
    public var foregroundIntensity: Intensity?
    public var foregroundSamplingRule: String

    public init(_ cases: [CaseEDA]) {
        self.cases = cases.map(\.id)
        spacings = cases.map(\.canonicalSpacing)
        shapes = cases.map(\.canonicalShape)
        (medianSpacing, suggestedTargetSpacing) = Fingerprint.targetSpacing(spacings)
        targetSpacingRule = "median spacing per axis; on an axis whose median is more than 3x the finest, the 10th percentile instead (nnU-Net's rule)"
        var h = HUHistogram()
        for c in cases { if let l = c.histograms["liver"] { h.merge(l) } }
        if let s = IntensityStats(histogram: h) {
            foregroundIntensity = Intensity(voxels: s.voxels, mean: s.mean, median: s.percentile(50)!, std: s.std,
                                            min: s.min, max: s.max, percentile_00_5: s.percentile(0.5)!,
                                            percentile_99_5: s.percentile(99.5)!)
        }
        foregroundSamplingRule = "every voxel with label >= 1 in every case (no sampling), pooled in 1-HU bins: "
            + (h.integerValued ? "exact, the HU values are whole numbers" : "percentiles within 1 HU (HU values are not whole numbers)")
            + "; mean, std, min and max exact"
    }

    /// numpy's percentile with linear interpolation.
    /// nnU-Net's target spacing of canonical (x, y, z) spacings: the median per axis, and on an
    /// axis whose median is more than 3x the finest, the 10th percentile instead. Also used by
    /// `lits train --recipe default`.
    public static func targetSpacing(_ spacings: [[Double]]) -> (median: [Double], target: [Double]) {
        let median = (0..<3).map { axis in percentile(spacings.map { $0[axis] }, 50) }
        var target = median
        let coarse = (0..<3).max { median[$0] < median[$1] } ?? 2
        let fine = median.min() ?? 1
        if fine > 0, median[coarse] / fine > 3 {
            target[coarse] = percentile(spacings.map { $0[coarse] }, 10)
        }
        return (median, target)
    }

    public static func percentile(_ values: [Double], _ p: Double) -> Double {
        guard !values.isEmpty else { return .nan }
        let s = values.sorted()
        let pos = p / 100 * Double(s.count - 1)
        let lo = Int(pos.rounded(.down)), hi = min(lo + 1, s.count - 1)
        return s[lo] + (s[hi] - s[lo]) * (pos - Double(lo))
    }
}
