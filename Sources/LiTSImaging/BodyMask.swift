import Foundation
import LiTSCore

/// The patient's body in a CT volume.
public enum BodyMask {
    /// The documented rule: the largest 26-connected component of HU > -500 (the patient, without
    /// the air around them or the table, which is usually a separate component), with the holes of
    /// each axial slice filled so the air inside the patient (lungs, bowel gas) counts.
    public static let rule = "largest 26-connected component of HU > -500, holes filled slice by slice (air inside the patient included)"
    public static let threshold: Float = -500

    public static func compute(_ ct: Volume<Float>) -> [Bool] {
        let mask = ct.voxels.map { $0 > threshold }
        let cc = ConnectedComponents.label(shape: ct.shape, mask: mask, connectivity: .twentySix)
        guard cc.count > 1 else { return HoleFilling.fillAxialHoles(shape: ct.shape, mask: mask) }
        var sizes = [Int](repeating: 0, count: cc.count + 1)
        cc.labels.withUnsafeBufferPointer { for l in $0 { sizes[Int(l)] += 1 } }
        sizes[0] = 0
        let largest = Int32(sizes.indices.max { sizes[$0] < sizes[$1] }!)
        return HoleFilling.fillAxialHoles(shape: ct.shape, mask: cc.labels.map { $0 == largest })
    }
}
