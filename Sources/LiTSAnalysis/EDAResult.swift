import Foundation
import LiTSImaging

/// Everything the EDA report shows, computed from the per-case results (in case order).
public struct EDAResult: Sendable {
    public var cases: [CaseEDA]
    public var summary: DatasetSummary
    public var fingerprint: Fingerprint
    /// 1-HU histograms per class, pooled over the cases.
    public var pooled: [String: HUHistogram]

    public init(_ cases: [CaseEDA]) {
        self.cases = cases
        summary = DatasetSummary(cases)
        fingerprint = Fingerprint(cases)
        pooled = EDAResult.pooledHistograms(cases)
    }

    static func pooledHistograms(_ cases: [CaseEDA]) -> [String: HUHistogram] {
        var out: [String: HUHistogram] = [:]
        for c in cases {
            for (name, h) in c.histograms { out[name, default: HUHistogram()].merge(h) }
        }
        return out
    }

}
