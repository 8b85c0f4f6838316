import Foundation
import LiTSImaging

/// The longest in-plane (axial) diameter of a set of voxels, as a radiologist measures a lesion
/// (RECIST's long axis): on each axial slice the largest distance between two voxel centres
/// of the set, in mm; the largest over slices. A single voxel has diameter 0.
public enum LesionDiameter {
    /// `indices` are flat NIfTI voxel indices (`i + nx * (j + ny * k)`) of a volume with `shape`.
    public static func longestInPlane(_ indices: [Int], shape: [Int], spacing: [Double]) -> Double {
        let nx = shape[0], plane = shape[0] * shape[1]
        var bySlice: [Int: [(Double, Double)]] = [:]
        for n in indices {
            let k = n / plane, r = n % plane
            bySlice[k, default: []].append((Double(r % nx) * spacing[0], Double(r / nx) * spacing[1]))
        }
        return bySlice.values.map { FarthestPair.distance($0) }.max() ?? 0
    }
}
