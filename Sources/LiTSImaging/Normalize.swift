import Foundation
import LiTSCore

extension Volume where T == Float {
    /// Min-max normalisation to [0, 1]; returns the minimum and maximum used.
    /// A constant volume becomes all zeros.
    public func minMaxNormalized() -> (volume: Volume<Float>, min: Float, max: Float) {
        guard let (lo, hi) = minMax() else { return (self, 0, 0) }
        // Divide rather than multiply by the reciprocal, so the maximum maps to exactly 1.
        let range: Float = hi > lo ? hi - lo : .infinity
        let out: [Float] = HugePages.array(count: count) { out in
            voxels.withUnsafeBufferPointer { src in
                for i in 0..<src.count { out[i] = (src[i] - lo) / range }
            }
        }
        return (Volume(grid: grid, voxels: out), lo, hi)
    }
}
