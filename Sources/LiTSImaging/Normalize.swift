import Foundation
import LiTSCore

extension Volume where T == Float {
    /// Min-max normalisation to [0, 1]; returns the minimum and maximum used.
    /// A constant volume becomes all zeros.
    public func minMaxNormalized() -> (volume: Volume<Float>, min: Float, max: Float) {
        guard let (lo, hi) = minMax() else { return (self, 0, 0) }
        let scale: Float = hi > lo ? 1 / (hi - lo) : 0
        let out = [Float](unsafeUninitializedCapacity: count) { out, n in
            voxels.withUnsafeBufferPointer { src in
                for i in 0..<src.count { out[i] = (src[i] - lo) * scale }
            }
            n = count
        }
        return (Volume(grid: grid, voxels: out), lo, hi)
    }
}
