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
        let mask: [Bool] = HugePages.array(count: ct.count) { out in
            ct.voxels.withUnsafeBufferPointer { v in
                let chunk = (v.count + 1) / 2
                Parallel.perform(iterations: 2) { part in
                    for i in (part * chunk)..<min(v.count, (part + 1) * chunk) { out[i] = v[i] > threshold }
                }
            }
        }
        let cc = ConnectedComponents.label(shape: ct.shape, mask: mask, connectivity: .twentySix)
        guard cc.count > 1 else { return HoleFilling.fillAxialHoles(shape: ct.shape, mask: mask) }
        var sizes = [Int](repeating: 0, count: cc.count + 1)
        cc.labels.withUnsafeBufferPointer { for l in $0 { sizes[Int(l)] += 1 } }
        sizes[0] = 0
        let largest = Int32(sizes.indices.max { sizes[$0] < sizes[$1] }!)
        let body: [Bool] = HugePages.array(count: cc.labels.count) { out in
            cc.labels.withUnsafeBufferPointer { l in
                let chunk = (l.count + 1) / 2
                Parallel.perform(iterations: 2) { part in
                    for i in (part * chunk)..<min(l.count, (part + 1) * chunk) { out[i] = l[i] == largest }
                }
            }
        }
        return HoleFilling.fillAxialHoles(shape: ct.shape, mask: body)
    }
}
