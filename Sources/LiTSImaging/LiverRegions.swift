import Foundation
import LiTSCore

/// Thirds of the liver along the superior-inferior axis, the split the baseline's author used
/// ("the top and bottom of the liver were segmented worse than the middle").
public enum LiverRegion: String, Codable, Sendable, CaseIterable {
    case top, middle, bottom
}

/// The liver's extent along k of a canonical volume, where k runs inferior to superior (see
/// `Reorientation`), so "top" is decided by the affine and never by the raw array index.
public struct LiverExtent: Codable, Equatable, Sendable {
    public var kMin: Int
    public var kMax: Int

    public init(kMin: Int, kMax: Int) {
        precondition(kMin <= kMax, "empty liver extent")
        self.kMin = kMin
        self.kMax = kMax
    }

    /// The slices holding any voxel with label >= 1, or nil when there is no liver.
    public init?(labels: LabelMap) {
        let plane = labels.shape[0] * labels.shape[1]
        var lo = Int.max, hi = -1
        labels.voxels.withUnsafeBufferPointer { p in
            for k in 0..<labels.shape[2] {
                let slice = UnsafeBufferPointer(rebasing: p[(k * plane)..<((k + 1) * plane)])
                if slice.contains(where: { $0 >= 1 }) { lo = min(lo, k); hi = max(hi, k) }
            }
        }
        guard hi >= 0 else { return nil }
        self.init(kMin: lo, kMax: hi)
    }

    public var slices: Int { kMax - kMin + 1 }

    /// Thirds by slices: slice k covers [k, k + 1) of the extent; its centre decides the region.
    public func region(ofSlice k: Double) -> LiverRegion {
        let t = (k - Double(kMin) + 0.5) / Double(slices)
        if t < 1.0 / 3 { return .bottom }
        if t < 2.0 / 3 { return .middle }
        return .top
    }

    /// Position within the extent, 0 at the inferior edge and 1 at the superior edge.
    public func normalizedPosition(ofSlice k: Double) -> Double {
        (k - Double(kMin) + 0.5) / Double(slices)
    }
}
