import Foundation
import LiTSCore

/// Voxel counts of a predicted mask against a reference ("truth") mask of the same grid.
///
/// True negatives are not counted: none of the metrics here uses them, and on a CT volume they
/// are just "the rest of the image".
public struct OverlapCounts: Equatable, Sendable {
    /// Voxels true in both masks.
    public var tp: Int
    /// Voxels true in the prediction only.
    public var fp: Int
    /// Voxels true in the truth only.
    public var fn: Int

    public init(tp: Int, fp: Int, fn: Int) {
        precondition(tp >= 0 && fp >= 0 && fn >= 0, "counts must not be negative")
        self.tp = tp
        self.fp = fp
        self.fn = fn
    }

    /// Counts the two masks voxel by voxel (any voxel order, as long as it is the same for both).
    public init(pred: [Bool], truth: [Bool]) {
        precondition(pred.count == truth.count, "pred has \(pred.count) voxels, truth \(truth.count)")
        let (both, p, t) = Self.count(pred, truth)
        self.init(tp: both, fp: p - both, fn: t - both)
    }

    /// Voxels in the prediction (`tp + fp`).
    public var predVoxels: Int { tp + fp }
    /// Voxels in the truth (`tp + fn`).
    public var truthVoxels: Int { tp + fn }
    /// Voxels in either mask (`tp + fp + fn`).
    public var unionVoxels: Int { tp + fp + fn }

    /// (|pred & truth|, |pred|, |truth|), counted in parallel chunks over the raw bytes (a Swift
    /// `Bool` is stored as one byte, 0 or 1).
    static func count(_ pred: [Bool], _ truth: [Bool]) -> (Int, Int, Int) {
        let n = pred.count
        if n == 0 { return (0, 0, 0) }
        let chunk = 1 << 20
        let chunks = (n + chunk - 1) / chunk
        var partial = [(Int, Int, Int)](repeating: (0, 0, 0), count: chunks)
        pred.withUnsafeBytes { pb in
            truth.withUnsafeBytes { tb in
                partial.withUnsafeMutableBufferPointer { out in
                    let p = pb.bindMemory(to: UInt8.self).baseAddress!
                    let t = tb.bindMemory(to: UInt8.self).baseAddress!
                    let o = out.baseAddress!
                    Parallel.perform(iterations: chunks) { c in
                        let lo = c * chunk, hi = min(n, lo + chunk)
                        // UInt32 sums (a chunk holds at most 2^20 voxels) vectorise well.
                        var both: UInt32 = 0, sp: UInt32 = 0, st: UInt32 = 0
                        for i in lo..<hi {
                            let a = p[i], b = t[i]
                            both &+= UInt32(a & b)
                            sp &+= UInt32(a)
                            st &+= UInt32(b)
                        }
                        o[c] = (Int(both), Int(sp), Int(st))
                    }
                }
            }
        }
        return partial.reduce((0, 0, 0)) { ($0.0 + $1.0, $0.1 + $1.1, $0.2 + $1.2) }
    }
}

/// Overlap and surface metrics of a prediction against a reference, with the values of
/// medpy 0.5.2 (`medpy.metric.binary`, `result` = prediction, `reference` = truth).
///
/// Empty masks (where medpy returns 1.0 or raises, we follow MONAI's explicit rules instead and
/// never report a perfect score for "nothing against nothing"):
/// - Dice, Jaccard, volume overlap error: both masks empty → NaN (undefined; medpy says 1.0);
///   one mask empty → Dice 0, Jaccard 0, VOE 1.
/// - Relative volume difference: empty truth → NaN (medpy raises).
/// - Surface distances: `nil` when either mask is empty (medpy raises). An empty side has no
///   surface, so its distances are missing, never 0 (and never a made-up maximum).
public enum Metrics {
    /// Dice coefficient `2 |P ∩ T| / (|P| + |T|)` (medpy `dc`). Both empty: NaN.
    public static func dice(_ c: OverlapCounts) -> Double {
        Dice.coefficient(intersection: c.tp, sizeA: c.predVoxels, sizeB: c.truthVoxels)
    }

    public static func dice(pred: [Bool], truth: [Bool]) -> Double {
        dice(OverlapCounts(pred: pred, truth: truth))
    }

    /// Jaccard index `|P ∩ T| / |P ∪ T|` (medpy `jc`). Both empty: NaN.
    public static func jaccard(_ c: OverlapCounts) -> Double {
        let u = c.unionVoxels
        return u == 0 ? .nan : Double(c.tp) / Double(u)
    }

    public static func jaccard(pred: [Bool], truth: [Bool]) -> Double {
        jaccard(OverlapCounts(pred: pred, truth: truth))
    }

    /// Volume overlap error `1 - Jaccard` (the LiTS challenge's VOE). Both empty: NaN.
    public static func volumeOverlapError(_ c: OverlapCounts) -> Double {
        1 - jaccard(c)
    }

    public static func volumeOverlapError(pred: [Bool], truth: [Bool]) -> Double {
        volumeOverlapError(OverlapCounts(pred: pred, truth: truth))
    }

    /// Relative volume difference `(|P| - |T|) / |T|`, signed: negative when the prediction is
    /// too small (medpy `ravd`; LiTS reports it as RVD). Empty truth: NaN.
    public static func relativeVolumeDifference(_ c: OverlapCounts) -> Double {
        c.truthVoxels == 0 ? .nan : Double(c.predVoxels - c.truthVoxels) / Double(c.truthVoxels)
    }

    public static func relativeVolumeDifference(pred: [Bool], truth: [Bool]) -> Double {
        relativeVolumeDifference(OverlapCounts(pred: pred, truth: truth))
    }
}
